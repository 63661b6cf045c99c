import { describe, expect, it } from 'vitest'
import { parseDuration } from './duration.js'

const parsed: [string, number][] = [
  ['24h', 86_400_000],
  ['90m', 5_400_000],
  ['30s', 30_000],
  ['7d', 604_800_000],
  ['1h30m', 5_400_000],
  ['500ms', 500],
  ['1m500ms', 60_500],
  ['1d2h3m4s5ms', 93_784_005],
  ['0s', 0],
]

const refused = ['', '24 hours', '24', '-1h', '1.5h', 'h', '30m1h', '1h1h', ' 24h', '24H', '1w']

describe('parseDuration', () => {
  it.each(parsed)('%j → %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(refused)('%j → null', (text) => {
    expect(parseDuration(text)).toBeNull()
  })
})
