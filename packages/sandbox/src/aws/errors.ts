/**
 * An error as AWS reports it on the query protocol: the wire `code` (what the SDK turns into an
 * exception name), the HTTP status and the fault side. Thrown inside the stand-in and rendered
 * as `<ErrorResponse>`; also thrown as is by the in-process `checkAccess`.
 */
export class AwsSandboxError extends Error {
  readonly code: string
  readonly status: number
  readonly type: 'Sender' | 'Receiver'

  constructor(code: string, status: number, message: string, type: 'Sender' | 'Receiver' = 'Sender') {
    super(message)
    this.name = 'AwsSandboxError'
    this.code = code
    this.status = status
    this.type = type
  }
}

// Status codes as the STS and IAM API references list them for each code.

export const accessDenied = (message: string): AwsSandboxError => new AwsSandboxError('AccessDenied', 403, message)

export const invalidClientTokenId = (): AwsSandboxError =>
  new AwsSandboxError('InvalidClientTokenId', 403, 'The security token included in the request is invalid.')

export const signatureDoesNotMatch = (message: string): AwsSandboxError =>
  new AwsSandboxError('SignatureDoesNotMatch', 403, message)

export const expiredToken = (): AwsSandboxError =>
  new AwsSandboxError('ExpiredToken', 400, 'The security token included in the request is expired')

export const malformedPolicy = (message: string): AwsSandboxError =>
  new AwsSandboxError('MalformedPolicyDocument', 400, message)

export const invalidParameter = (message: string): AwsSandboxError =>
  new AwsSandboxError('InvalidParameterValue', 400, message)

export const missingParameter = (name: string): AwsSandboxError =>
  new AwsSandboxError('MissingParameter', 400, `The request must contain the parameter ${name}`)

/** AWS's wording for a violated API constraint, e.g. a RoleSessionName outside its pattern. */
export const validationError = (value: string, field: string, constraint: string): AwsSandboxError =>
  new AwsSandboxError(
    'ValidationError',
    400,
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`,
  )

export const noSuchEntity = (message: string): AwsSandboxError => new AwsSandboxError('NoSuchEntity', 404, message)

export const invalidIdentityToken = (message: string): AwsSandboxError =>
  new AwsSandboxError('InvalidIdentityToken', 400, message)

export const idpRejectedClaim = (message: string): AwsSandboxError =>
  new AwsSandboxError('IDPRejectedClaim', 403, message)
