import { describe, expect, it } from 'vitest'
import { parseRetryAfter, RETRY_AFTER_MAX_MS } from './retry-after.js'

const now = Date.parse('2025-01-02T03:04:05Z')
const DAY = RETRY_AFTER_MAX_MS

describe('parseRetryAfter', () => {
  it.each<[string | string[] | undefined | null, number | undefined]>([
    // delay-seconds
    ['120', 120_000],
    [' 0 ', 0],
    ['007', 7000],
    [['3', '9'], 3000], // a repeated header: the first one
    ['86400', DAY],
    ['86401', DAY], // capped
    ['99999999999999999999999', DAY], // capped, not Infinity
    // HTTP-date: IMF-fixdate, and the obsolete forms a recipient must accept
    ['Thu, 02 Jan 2025 03:04:35 GMT', 30_000],
    ['Thursday, 02-Jan-25 03:04:35 GMT', 30_000], // RFC 850
    ['Thu Jan  2 03:04:35 2025', 30_000], // asctime (UTC)
    [['Thu, 02 Jan 2025 03:04:06 GMT', '9'], 1000],
    ['Thu, 02 Jan 2025 03:00:00 GMT', 0], // already past
    ['Thu, 01 Jan 1970 00:00:00 GMT', 0],
    ['Fri, 03 Jan 2025 03:04:05 GMT', DAY],
    ['Sat, 01 Jan 2125 00:00:00 GMT', DAY], // capped
    // unreadable: the caller's own backoff applies
    ['1.5', undefined],
    ['-3', undefined],
    ['+3', undefined],
    ['1e3', undefined],
    ['0x10', undefined],
    ['5, 9', undefined], // fetch's Headers join a repeated header
    ['soon', undefined],
    ['Thu, 32 Jan 2025 03:04:35 GMT', undefined],
    ['', undefined],
    ['   ', undefined],
    [[], undefined],
    [null, undefined],
    [undefined, undefined],
  ])('%j → %s ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })

  it('reads a date against the clock when no `now` is given', () => {
    const inAMinute = new Date(Date.now() + 60_000).toUTCString()
    const ms = parseRetryAfter(inAMinute)
    expect(ms).toBeGreaterThan(58_000)
    expect(ms).toBeLessThanOrEqual(60_000)
  })
})
