import { describe, expect, it } from 'vitest'
import {
  deferredUntil,
  isTimeZone,
  nextOpening,
  parseDays,
  parseHours,
  zoneOf,
  type SendWindow,
} from './send-window.js'
import type { ChannelInfo } from './types.js'

const win = (hours: string, days = 'mon-sun', timezone = 'Europe/Berlin'): SendWindow => {
  const h = parseHours(hours)
  const d = parseDays(days)
  if (!h || !d) throw new Error('bad fixture')
  return { ...h, days: d, timezone, fallback: 'UTC' }
}

const next = (w: SendWindow, zone: string, at: string): string | null =>
  nextOpening(w, zone, new Date(at))?.toISOString() ?? null

describe('parseHours / parseDays / isTimeZone', () => {
  it.each([
    ['08:00-21:00', { start: 480, end: 1260 }],
    ['00:00-24:00', { start: 0, end: 1440 }],
    ['25:00-26:00', null],
    ['08:60-21:00', null],
    ['21:00-08:00', null],
    ['08:00-08:00', null],
    ['24:30-24:45', null],
    ['8-21', null],
  ])('hours %s', (s, want) => expect(parseHours(s)).toEqual(want))

  it.each([
    ['mon-fri', [1, 2, 3, 4, 5]],
    ['sat,sun', [0, 6]],
    ['fri-mon', [0, 1, 5, 6]],
    ['Mon-Wed,fri', [1, 2, 3, 5]],
    ['weekdays', null],
    ['mon-tue-wed', null],
  ])('days %s', (s, want) => expect(parseDays(s)).toEqual(want))

  it('knows IANA names and refuses the rest', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true)
    expect(isTimeZone('America/New_York')).toBe(true)
    expect(isTimeZone('UTC')).toBe(true)
    expect(isTimeZone('Mars/Olympus')).toBe(false)
    expect(isTimeZone('+01:00')).toBe(false)
    expect(isTimeZone('')).toBe(false)
  })
})

describe('nextOpening', () => {
  const day = win('08:00-21:00')
  it('is null inside the window, the same evening closed → next morning (Berlin, winter)', () => {
    expect(next(day, 'Europe/Berlin', '2026-01-14T12:00:00Z')).toBeNull()
    expect(next(day, 'Europe/Berlin', '2026-01-14T07:00:00Z')).toBeNull() // 08:00 local: open
    expect(next(day, 'Europe/Berlin', '2026-01-14T06:59:00Z')).toBe('2026-01-14T07:00:00.000Z')
    expect(next(day, 'Europe/Berlin', '2026-01-14T20:00:00Z')).toBe('2026-01-15T07:00:00.000Z')
  })

  it('skips days not allowed: Friday night → Monday morning', () => {
    const weekdays = win('09:00-17:00', 'mon-fri', 'America/New_York')
    // Friday 2026-01-16 18:00 New York (23:00Z) → Monday 09:00 EST (14:00Z).
    expect(next(weekdays, 'America/New_York', '2026-01-16T23:00:00Z')).toBe(
      '2026-01-19T14:00:00.000Z',
    )
  })

  it('Berlin spring forward (2026-03-29): an 08:00 opening is 06:00Z that day, 07:00Z the day before', () => {
    expect(next(day, 'Europe/Berlin', '2026-03-28T22:00:00Z')).toBe('2026-03-29T06:00:00.000Z')
    expect(next(day, 'Europe/Berlin', '2026-03-27T22:00:00Z')).toBe('2026-03-28T07:00:00.000Z')
  })

  it('Berlin spring forward: a window opening at 02:30 (skipped) opens when the clocks jump, 01:00Z', () => {
    const night = win('02:30-05:00')
    expect(next(night, 'Europe/Berlin', '2026-03-28T23:30:00Z')).toBe('2026-03-29T01:00:00.000Z')
    // 03:10 CEST: inside (local time past 02:30).
    expect(next(night, 'Europe/Berlin', '2026-03-29T01:10:00Z')).toBeNull()
  })

  it('Berlin fall back (2026-10-25): an opening at 02:30 (repeated) is its first occurrence, 00:30Z', () => {
    const night = win('02:30-05:00')
    expect(next(night, 'Europe/Berlin', '2026-10-24T22:00:00Z')).toBe('2026-10-25T00:30:00.000Z')
    expect(next(day, 'Europe/Berlin', '2026-10-24T20:00:00Z')).toBe('2026-10-25T07:00:00.000Z')
  })

  it('New York spring forward (2026-03-08) and fall back (2026-11-01)', () => {
    const ny = win('02:30-04:00', 'mon-sun', 'America/New_York')
    // 02:30 does not exist on 03-08: the clocks jump from 02:00 EST (07:00Z) to 03:00 EDT.
    expect(next(ny, 'America/New_York', '2026-03-08T05:00:00Z')).toBe('2026-03-08T07:00:00.000Z')
    const early = win('01:30-04:00', 'mon-sun', 'America/New_York')
    // 01:30 happens twice on 11-01: first at 05:30Z (EDT), again at 06:30Z (EST).
    expect(next(early, 'America/New_York', '2026-11-01T04:00:00Z')).toBe('2026-11-01T05:30:00.000Z')
    const nine = win('09:00-17:00', 'mon-sun', 'America/New_York')
    expect(next(nine, 'America/New_York', '2026-11-01T02:00:00Z')).toBe('2026-11-01T14:00:00.000Z')
    expect(next(nine, 'America/New_York', '2026-10-31T02:00:00Z')).toBe('2026-10-31T13:00:00.000Z')
  })
})

describe('deferredUntil', () => {
  const channel = (w: SendWindow | null) =>
    ({ name: 'sms', rules: { send_window: w } }) as unknown as ChannelInfo
  const at = new Date('2026-01-14T22:30:00Z') // 23:30 Berlin, 17:30 New York

  it('defers outside the window, in the contact zone with timezone: contact', () => {
    const w = win('08:00-21:00', 'mon-sun', 'contact')
    expect(deferredUntil(channel(w), 'Europe/Berlin', null, at)?.toISOString()).toBe(
      '2026-01-15T07:00:00.000Z',
    )
    expect(deferredUntil(channel(w), 'America/New_York', null, at)).toBeNull()
  })

  it('falls back to the window fallback zone for a contact without one', () => {
    const w = { ...win('08:00-21:00', 'mon-sun', 'contact'), fallback: 'Europe/Berlin' }
    expect(zoneOf(w, null)).toBe('Europe/Berlin')
    expect(deferredUntil(channel(w), null, null, at)?.toISOString()).toBe(
      '2026-01-15T07:00:00.000Z',
    )
  })

  it('does not defer a reply in a live conversation (the contact wrote < 1 h ago)', () => {
    const w = win('08:00-21:00')
    expect(deferredUntil(channel(w), null, '2026-01-14T22:00:00Z', at)).toBeNull()
    expect(deferredUntil(channel(w), null, '2026-01-14T21:30:00Z', at)).not.toBeNull()
  })

  it('never defers without a window', () => {
    expect(deferredUntil(channel(null), 'Europe/Berlin', null, at)).toBeNull()
  })
})
