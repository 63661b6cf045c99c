import { describe, expect, it } from 'vitest'
import { parseRetryAfter } from './retry-after.js'

const now = Date.parse('2025-01-02T03:04:05Z')

describe('parseRetryAfter', () => {
  it.each<[string | string[] | undefined, number | undefined]>([
    ['120', 120_000],
    [' 0 ', 0],
    [['3', '9'], 3000],
    ['Thu, 02 Jan 2025 03:04:35 GMT', 30_000],
    ['Thu, 02 Jan 2025 03:00:00 GMT', 0], // already past
    ['1.5', undefined],
    ['-3', undefined],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %s ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })
})
