/**
 * Business hours with an injected clock (no sleeping): open or not, the next opening across
 * weekends, holidays and Europe/Berlin's DST changes (2026-03-29 the clocks skip 02:00–03:00,
 * 2026-10-25 they repeat 02:00–03:00), and `{{next_open}}`'s wording.
 */
import { describe, expect, it } from 'vitest'
import {
  businessOpening,
  describeNextOpening,
  isBusinessOpen,
  type BusinessHours,
} from './business-hours.js'

const H = (h: number, m = 0) => h * 60 + m
const WEEKDAY = { start: H(9), end: H(17, 30) }

function hours(over: Partial<BusinessHours> = {}): BusinessHours {
  return {
    timezone: 'Europe/Berlin',
    // sun, mon … sat
    days: [null, WEEKDAY, WEEKDAY, WEEKDAY, WEEKDAY, WEEKDAY, { start: H(10), end: H(14) }],
    holidays: new Set(),
    ...over,
  }
}

const at = (iso: string) => new Date(iso)

describe('business hours', () => {
  it('is open inside the day’s hours in the business zone, closed outside', () => {
    const bh = hours()
    // Wednesday 2026-01-14: Berlin is UTC+1.
    expect(isBusinessOpen(bh, at('2026-01-14T08:00:00Z'))).toBe(true) // 09:00 local
    expect(isBusinessOpen(bh, at('2026-01-14T07:59:59Z'))).toBe(false)
    expect(isBusinessOpen(bh, at('2026-01-14T16:29:59Z'))).toBe(true)
    expect(isBusinessOpen(bh, at('2026-01-14T16:30:00Z'))).toBe(false) // 17:30 local
    expect(isBusinessOpen(bh, at('2026-01-17T12:00:00Z'))).toBe(true) // Saturday 13:00
    expect(isBusinessOpen(bh, at('2026-01-18T12:00:00Z'))).toBe(false) // Sunday
  })

  it('finds Monday’s opening across the spring DST change, and says "Monday 09:00"', () => {
    const bh = hours()
    // Saturday 2026-03-28 15:00 CET; Monday 2026-03-30 09:00 is CEST (UTC+2).
    const sat = at('2026-03-28T14:00:00Z')
    expect(businessOpening(bh, sat)).toEqual(at('2026-03-30T07:00:00Z'))
    expect(describeNextOpening(bh, sat)).toBe('Monday 09:00')
  })

  it('opens when the clocks jump past a skipped opening time (2026-03-29)', () => {
    const bh = hours({ days: [{ start: H(2, 30), end: H(4) }, null, null, null, null, null, null] })
    // 02:30 does not exist that night: 02:00 CET is followed by 03:00 CEST = 01:00Z.
    const before = at('2026-03-29T00:30:00Z') // 01:30 CET
    expect(businessOpening(bh, before)).toEqual(at('2026-03-29T01:00:00Z'))
    expect(describeNextOpening(bh, before)).toBe('today 03:00')
    expect(isBusinessOpen(bh, at('2026-03-29T01:00:00Z'))).toBe(true)
    expect(isBusinessOpen(bh, at('2026-03-29T02:00:00Z'))).toBe(false) // 04:00 CEST
  })

  it('opens at the first of a repeated opening time (2026-10-25)', () => {
    const bh = hours({ days: [{ start: H(2, 30), end: H(4) }, null, null, null, null, null, null] })
    // 02:30 happens twice: first at 02:30 CEST = 00:30Z, again at 02:30 CET = 01:30Z.
    const before = at('2026-10-24T22:00:00Z') // Sunday 00:00 CEST
    expect(businessOpening(bh, before)).toEqual(at('2026-10-25T00:30:00Z'))
    expect(describeNextOpening(bh, before)).toBe('today 02:30')
    // Open through the repeated hour until 04:00 CET = 03:00Z.
    expect(isBusinessOpen(bh, at('2026-10-25T02:59:00Z'))).toBe(true)
    expect(isBusinessOpen(bh, at('2026-10-25T03:00:00Z'))).toBe(false)
  })

  it('skips holidays; "tomorrow", "today", "now" and a date beyond the week', () => {
    const bh = hours({ holidays: new Set(['2026-12-24', '2026-12-25']) })
    // Wednesday 2026-12-23 18:00 CET: Thu and Fri are holidays, Saturday opens 10:00.
    expect(describeNextOpening(bh, at('2026-12-23T17:00:00Z'))).toBe('Saturday 10:00')
    expect(describeNextOpening(bh, at('2026-12-22T17:00:00Z'))).toBe('tomorrow 09:00')
    expect(describeNextOpening(bh, at('2026-12-22T07:00:00Z'))).toBe('today 09:00')
    expect(describeNextOpening(bh, at('2026-12-22T09:00:00Z'))).toBe('now')
    const closedWeek = hours({
      holidays: new Set(['2026-12-26', '2026-12-28', '2026-12-29', '2026-12-30', '2026-12-31']),
      days: [null, WEEKDAY, WEEKDAY, WEEKDAY, WEEKDAY, WEEKDAY, { start: H(10), end: H(14) }],
    })
    // Friday 2026-12-25 18:00: Saturday and the weekdays after are closed; 2027-01-01 opens.
    expect(describeNextOpening(closedWeek, at('2026-12-25T17:00:00Z'))).toBe(
      'Friday 1 January 09:00',
    )
  })

  it('says nothing when it never opens', () => {
    const bh = hours({ days: [null, null, null, null, null, null, null] })
    expect(businessOpening(bh, at('2026-01-14T08:00:00Z'))).toBe('never')
    expect(describeNextOpening(bh, at('2026-01-14T08:00:00Z'))).toBe('')
  })
})
