/**
 * Durations and byte sizes as written in `gateway.config.yaml`. Durations are the rules' (one
 * parser: the rules read window lengths the same way); byte sizes are the config's own.
 */
export { parseDuration } from '../../rules/duration.js'

const SIZE_UNITS = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 } as const

/** `1mb`, `512kb`, `2048b` or a bare byte count; units are 1024-based and case-insensitive. */
const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*([kmg]?b)?$/i

/** Bytes of a size such as `512kb` (1024-based), or null when the text is not one. */
export function parseByteSize(text: string): number | null {
  const match = SIZE_PATTERN.exec(text.trim())
  if (match === null) return null
  const unit = (match[2]?.toLowerCase() ?? 'b') as keyof typeof SIZE_UNITS
  const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[unit])
  return Number.isSafeInteger(bytes) ? bytes : null
}
