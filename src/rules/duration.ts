/**
 * Durations as written in `gateway.config.yaml` (`24h`, `90m`, `1h30m`, `500ms`): units in
 * descending order, each at most once, integers only, no spaces.
 */

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const

type Unit = keyof typeof UNIT_MS

/**
 * `24h`, `90m`, `30s`, `7d`, `1h30m`, `500ms`: whole numbers, units largest first, each at most
 * once, no spaces. `(?=\d)` refuses the empty string; the `m(?!s)` lookahead keeps `500ms` from
 * reading as minutes plus a stray `s`. Exported for the config's JSON Schema, whose `pattern`
 * lets editors flag `24 hours` too.
 */
export const DURATION_PATTERN =
  /^(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/

const UNITS_IN_ORDER: readonly Unit[] = ['d', 'h', 'm', 's', 'ms']

/**
 * Parses a duration such as `24h`, `90m`, `30s`, `7d`, `1h30m` or `500ms` into milliseconds.
 * Returns null for anything else (`24 hours`, `-1h`, `1.5h`, `''`, units out of order or repeated),
 * so the config loader can name the key and show an example.
 */
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
