import { InternalFailure, StoreUnavailable, isLanyardError, type LanyardError } from '@lanyard/core'

/**
 * SQLite result codes that mean "the database cannot be used right now" (sqlite.org/rescode.html):
 * locked past busy_timeout, I/O, disk full, file gone or unreadable, corrupt. Anything else from
 * the driver (a constraint, a syntax error) is a bug here, not an outage, so it is not retryable.
 */
const unavailable = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL|NOMEM|INTERRUPT|PERM|AUTH)/

/**
 * Catalogue errors pass through; driver errors become StoreUnavailable or InternalFailure with a
 * fixed public message. The driver's own text goes to `detail` (logged, never sent): it names
 * tables and columns, never values, since every value reaches SQLite as a bound parameter.
 */
export function translateError(error: unknown): LanyardError {
  if (isLanyardError(error)) return error
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? error.message : String(error)
  if (typeof code === 'string' && unavailable.test(code)) return new StoreUnavailable({ cause: error, detail: `sqlite ${code}: ${message}` })
  // better-sqlite3 throws a TypeError, not a SqliteError, once the connection is closed.
  if (error instanceof TypeError && /database connection is not open/i.test(message)) return new StoreUnavailable({ cause: error, detail: 'the database connection is closed' })
  return new InternalFailure({ cause: error, detail: typeof code === 'string' ? `sqlite ${code}: ${message}` : message })
}
