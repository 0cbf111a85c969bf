/**
 * RFC 9110 10.2.3 `Retry-After`: delay-seconds or an HTTP-date, as milliseconds from `now`
 * (never negative). Undefined when absent or malformed: the caller's own backoff then decides.
 * Every connector reads the header through this one function, so a 429 or 503 is honoured
 * the same way whichever upstream sent it.
 */
export function parseRetryAfter(header: string | null | undefined, now: Date): number | undefined {
  const value = header?.trim()
  if (!value) return undefined
  if (/^\d+$/.test(value)) return Number(value) * 1000
  // IMF-fixdate, or the obsolete RFC 850 form; both say GMT. (asctime carries no zone, and
  // Date.parse would read it as local time: refused rather than misread.)
  if (!/^[A-Za-z]{3,9}, .+ GMT$/.test(value)) return undefined
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime())
}
