/**
 * `Retry-After` (RFC 9110 §10.2.3) as milliseconds to wait: either delay-seconds or an HTTP-date.
 * Shared by the HTTP connectors so a platform's pause is read the same way everywhere.
 */

/**
 * Parses a `Retry-After` value (the first one when a header repeats). Returns undefined when it is
 * absent or unreadable (the caller backs off on its own then); a date in the past gives 0.
 */
export function parseRetryAfter(
  value: string | string[] | undefined | null,
  now: number = Date.now(),
): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim()
  if (!raw) return undefined
  if (/^\d+$/.test(raw)) return Number(raw) * 1000
  // Only a date has letters in it: `Date.parse('120.5')` would read a number as a year.
  if (!/[a-z]/i.test(raw)) return undefined
  const at = Date.parse(raw)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}
