import { describe, expect, it } from 'vitest'
import { Pacer, SlotCalendar, SlotSchedule, TokenBucket } from './rate-limiter.js'

describe('Pacer', () => {
  it('hands out slots exactly 1/rate apart, never two in one interval', () => {
    const p = new Pacer(30)
    const slots: number[] = []
    for (let i = 0; i < 90; i++) {
      const at = p.nextFree('ch', 1000)
      p.reserve('ch', at)
      slots.push(at)
    }
    // Any window of one second holds at most 30 slots.
    for (const s of slots)
      expect(slots.filter((x) => x >= s && x < s + 1000).length).toBeLessThanOrEqual(30)
    // Within 1 % of the rate: rounding to whole ms costs at most 1 ms a slot.
    expect(slots.at(-1)! - slots[0]!).toBeGreaterThanOrEqual((89 * 1000) / 30)
    expect(slots.at(-1)! - slots[0]!).toBeLessThanOrEqual((89 * 1000) / 30 + 89)
  })

  it('paces above 1 000/s (a sub-millisecond interval is not rounded up to 1 ms)', () => {
    const p = new Pacer(20_000)
    let at = 0
    for (let i = 0; i < 20_000; i++) p.reserve('ch', (at = p.nextFree('ch', 0)))
    // About 20 000 slots in one second (rounding costs under 2 %), not 1 000.
    expect(at).toBeLessThan(1020)
    expect(at).toBeGreaterThanOrEqual((19_999 * 1000) / 20_000)
  })

  it('keeps keys apart and never schedules in the past', () => {
    const p = new Pacer(1)
    p.reserve('a', 0)
    expect(p.nextFree('a', 10)).toBe(1000)
    expect(p.nextFree('b', 10)).toBe(10)
    expect(p.nextFree('a', 5000)).toBe(5000)
  })
})

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0
    const b = new TokenBucket(2, 3, () => now)
    expect([b.take('k'), b.take('k'), b.take('k')]).toEqual([0, 0, 0])
    expect(b.take('k')).toBeCloseTo(500, 5)
    now = 500
    expect(b.take('k')).toBe(0)
    expect(b.take('other')).toBe(0)
  })
})

describe('SlotCalendar', () => {
  it('gives each job room of its own, and a far-off plan leaves earlier room free', () => {
    const c = new SlotCalendar(3) // cells of one send, 333.3 ms
    expect(c.plan(50_000, 0)).toBe(50_000) // one recipient's turn far ahead
    const dues = [0, 0, 0, 0, 0, 0, 0].map(() => Math.round(c.plan(1000, 0)))
    expect(dues).toEqual([1000, 1333, 1667, 2000, 2333, 2667, 3000])
  })

  it('plans a job near its time, not at the start of a second already planned', () => {
    // A recipient at 1/s has its next turn 20 ms into the next second. Whole-second buckets gave
    // it and every job planned for that second the second's start, so the others, leased first,
    // took the channel's room up to a second past the turn.
    const c = new SlotCalendar(30) // cells of one send, 33.3 ms
    const others = Array.from({ length: 20 }, () => c.plan(1000, 0))
    expect(others.map(Math.round)).toEqual(
      Array.from({ length: 20 }, (_, i) => Math.round(1000 + (i * 1000) / 30)),
    )
    c.book(1700, 0) // a send kept at 1 700 ms: the calendar counts it
    expect(c.plan(1705, 0)).toBeCloseTo(1733.3, 0) // its cell (1 700–1 733) is full
  })

  it('at high rates a cell holds 50 ms of sends; a long queue fills cells in order', () => {
    const c = new SlotCalendar(1000)
    const dues = Array.from({ length: 100_000 }, () => c.plan(0, 0))
    expect(new Set(dues).size).toBe(2000)
    expect(dues.filter((d) => d === 50).length).toBe(50)
    expect(dues[99_999]).toBe(99_950)
    // Much later (a sweep), the cells ahead are still full, the ones past have room again.
    expect(c.plan(50_000, 50_000)).toBe(100_000)
    expect(c.plan(200_000, 200_000)).toBe(200_000)
    expect(c.plan(150_000, 200_000)).toBe(150_000)
  })

  it('below one per second a cell spans the interval', () => {
    const c = new SlotCalendar(0.5)
    expect([c.plan(0, 0), c.plan(0, 0), c.plan(0, 0)]).toEqual([0, 2000, 4000])
  })
})

describe('SlotSchedule', () => {
  it('fills the room before a slot reserved ahead, never two slots within an interval', () => {
    const s = new SlotSchedule(30) // an interval of 33.3 ms
    // One recipient's turn, a second ahead.
    s.reserve(1000)
    const slots = [1000]
    for (let i = 0; i < 60; i++) {
      const at = s.nextFree(0, 0)
      s.reserve(at)
      slots.push(at)
    }
    slots.sort((a, b) => a - b)
    // The room before the slot ahead is used (0, 33.3 … 933.3: the next would be a hair closer
    // than an interval to it, rounded up), not left idle until it.
    expect(slots.slice(0, 29).every((t) => t < 1000)).toBe(true)
    expect(slots[29]).toBe(1000)
    expect(slots[0]).toBe(0)
    for (let i = 1; i < slots.length; i++)
      expect(slots[i]! - slots[i - 1]!).toBeGreaterThanOrEqual(1000 / 30 - 1e-6)
    // At most 30 in any one-second window.
    for (const t of slots)
      expect(slots.filter((x) => x >= t && x < t + 1000).length).toBeLessThanOrEqual(30)
  })

  it('takes a gap only when it is an interval wide on both sides', () => {
    const s = new SlotSchedule(10) // 100 ms
    s.reserve(0)
    s.reserve(150)
    s.reserve(400)
    // 100 is too close to 150; the first room is 250 (100 after 150, 150 before 400).
    expect(s.nextFree(50, 0)).toBe(250)
    expect(s.nextFree(260, 0)).toBe(260)
    expect(s.nextFree(320, 0)).toBe(500)
    // Slots long past do not constrain (nor stay).
    expect(s.nextFree(0, 10_000)).toBe(10_000)
  })
})
