import { XMLBuilder } from 'fast-xml-parser'
import type { AwsSandboxError } from './errors.js'

/** AWS query-protocol responses: `<{Action}Response>` envelopes and `<ErrorResponse>`. */

export type XmlValue = string | number | boolean | undefined | XmlObject | XmlValue[]
export interface XmlObject {
  [element: string]: XmlValue
}

export type Service = 'sts' | 'iam'

export const API_VERSIONS: Record<Service, string> = { sts: '2011-06-15', iam: '2010-05-08' }
const NAMESPACES: Record<Service, string> = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: true })

export function renderResult(service: Service, action: string, result: XmlObject, requestId: string): string {
  const body: XmlObject = { '@_xmlns': NAMESPACES[service] }
  // Actions without output (PutRolePolicy, DeleteRolePolicy) carry no Result element.
  if (Object.keys(result).length > 0) body[`${action}Result`] = result
  body['ResponseMetadata'] = { RequestId: requestId }
  return render({ [`${action}Response`]: body })
}

export function renderError(service: Service, error: AwsSandboxError, requestId: string): string {
  return render({
    ErrorResponse: {
      '@_xmlns': NAMESPACES[service],
      Error: { Type: error.type, Code: error.code, Message: error.message },
      RequestId: requestId,
    },
  })
}

function render(document: XmlObject): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + (builder.build(prune(document)) as string)
}

/** Absent optional members are left out, as AWS leaves them out. */
function prune(value: XmlValue): XmlValue {
  if (Array.isArray(value)) return value.map(prune)
  if (typeof value !== 'object') return typeof value === 'boolean' ? String(value) : value
  const out: XmlObject = {}
  for (const [name, member] of Object.entries(value)) if (member !== undefined) out[name] = prune(member)
  return out
}
