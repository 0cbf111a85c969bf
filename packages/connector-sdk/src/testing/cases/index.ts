import { bindCases } from './bind.js'
import type { ConformanceCase } from './case.js'
import { capabilityCases, logCase } from './capabilities.js'
import { configCases } from './config.js'
import { abortCases, errorCases } from './errors.js'
import { issueCases } from './issue.js'
import { narrowCases } from './narrow.js'
import { revokeAfterExpiryCase, revokeCases } from './revoke.js'

export type { ConformanceCase } from './case.js'

/**
 * Every case, in run order. Order matters once: "revoke after expiry" moves upstream time, so
 * it comes after every other case that issues; the log check comes last to see every record.
 */
export const conformanceCases: readonly ConformanceCase[] = [
  ...configCases,
  ...narrowCases,
  ...bindCases,
  ...issueCases,
  ...revokeCases,
  ...errorCases,
  ...abortCases,
  ...capabilityCases,
  revokeAfterExpiryCase,
  logCase,
]
