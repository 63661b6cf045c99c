import { describe, expect, it } from 'vitest'
import { parseByteSize, parseDuration } from './duration.js'

describe('parseDuration', () => {
  it.each([
    ['24h', 86_400_000],
    ['90m', 5_400_000],
    ['30s', 30_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1m500ms', 60_500],
    ['0s', 0],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['24 hours', '24', '', 'h', '1.5h', '-1h', '30m1h', '1h1h', ' 1h', '1H', '5 m'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeNull()
    },
  )
})

describe('parseByteSize', () => {
  it.each([
    ['1mb', 1_048_576],
    ['512kb', 524_288],
    ['512KB', 524_288],
    ['2048', 2048],
    ['100b', 100],
    ['1gb', 1_073_741_824],
    ['1.5kb', 1536],
  ])('reads %s', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes)
  })

  it.each(['1 megabyte', 'mb', '-1kb', '1tb', ''])('rejects %j', (text) => {
    expect(parseByteSize(text)).toBeNull()
  })
})
