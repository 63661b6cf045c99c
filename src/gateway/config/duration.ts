/**
 * Durations and byte sizes as written in `gateway.config.yaml`. The loader keeps its own small
 * parser so config validation does not wait on `rules/`; both accept the same spelling.
 */

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const

/**
 * `24h`, `90m`, `30s`, `7d`, `1h30m`, `500ms`: whole numbers, units largest first, each at most
 * once, no spaces. The `m(?!s)` lookahead keeps `500ms` from reading as minutes plus a stray `s`.
 * Exported for the JSON Schema, whose `pattern` lets editors flag `24 hours` too.
 */
export const DURATION_PATTERN =
  /^(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/

const UNITS_IN_ORDER = ['d', 'h', 'm', 's', 'ms'] as const

/** Milliseconds of a duration such as `1h30m`, or null when the text is not one (`24 hours`). */
export function parseDuration(text: string): number | null {
  const match = DURATION_PATTERN.exec(text)
  if (match === null) return null
  let total = 0
  UNITS_IN_ORDER.forEach((unit, i) => {
    const digits = match[i + 1]
    if (digits !== undefined) total += Number(digits) * UNIT_MS[unit]
  })
  return Number.isSafeInteger(total) ? total : null
}

const SIZE_UNITS = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 } as const

/** `1mb`, `512kb`, `2048b` or a bare byte count; units are 1024-based and case-insensitive. */
export const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*([kmg]?b)?$/i

/** Bytes of a size such as `512kb` (1024-based), or null when the text is not one. */
export function parseByteSize(text: string): number | null {
  const match = SIZE_PATTERN.exec(text.trim())
  if (match === null) return null
  const unit = (match[2]?.toLowerCase() ?? 'b') as keyof typeof SIZE_UNITS
  const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[unit])
  return Number.isSafeInteger(bytes) ? bytes : null
}
