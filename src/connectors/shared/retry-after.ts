/**
 * The one reader of a `Retry-After` header (RFC 9110 §10.2.3) for every HTTP connector and the
 * app-webhook worker, so a platform's pause is read the same way everywhere: delay-seconds or an
 * HTTP-date, as milliseconds to wait. Telegram's `retry_after` is a number in its JSON body, not
 * this header, and stays with the Telegram connector.
 */

/**
 * Longest wait we take from a platform: one day, about the dispatcher's whole retry window at the
 * defaults (30 attempts, backoff up to 1 h). A longer pause means a refusal rather than a rate
 * limit, and the cap keeps a garbled value from parking a message for years.
 * @internal exported for tests
 */
export const RETRY_AFTER_MAX_MS = 24 * 60 * 60 * 1000

/**
 * Parses a `Retry-After` value (the first one when the header repeats) into milliseconds, at most
 * `RETRY_AFTER_MAX_MS`. Returns undefined when it is absent or unreadable (negative, fractional,
 * not a date): the caller backs off on its own then. A date in the past gives 0.
 */
export function parseRetryAfter(
  value: string | readonly string[] | undefined | null,
  now: number = Date.now(),
): number | undefined {
  const raw = (typeof value === 'string' ? value : value?.[0])?.trim()
  if (!raw) return undefined
  if (/^\d+$/.test(raw)) return Math.min(RETRY_AFTER_MAX_MS, Number(raw) * 1000)
  // Only a date has letters in it: `Date.parse('120.5')` would read a number as a year.
  if (!/[a-z]/i.test(raw)) return undefined
  const at = Date.parse(raw)
  if (Number.isNaN(at)) return undefined
  return Math.min(RETRY_AFTER_MAX_MS, Math.max(0, at - now))
}
