import { describe, expect, it } from 'vitest'
import { MIN_GAP_SHARE, WireSpacing, type SpacingLimit } from './wire-spacing.js'

/** A spacing on a hand-driven clock (ms). */
function spacing(marginMs = 0) {
  const clock = { now: 0 }
  return {
    clock,
    s: new WireSpacing(
      () => marginMs,
      () => clock.now,
    ),
  }
}

const perRecipient = (perSecond: number, key = 'r:sms:ana'): SpacingLimit[] => [{ key, perSecond }]

/** Starts a send at `at` (it must be allowed) and reports it written at once. */
function sendAt(s: WireSpacing, clock: { now: number }, limits: SpacingLimit[], at: number) {
  clock.now = at
  const send = s.tryStart(limits)
  if (!send) throw new Error(`no start at ${at}`)
  send.written()
  return send
}

describe('WireSpacing', () => {
  it('keeps every window of n sends at least a second plus the margin long', () => {
    const { clock, s } = spacing(20)
    const two = perRecipient(2)
    sendAt(s, clock, two, 0)
    sendAt(s, clock, two, 500)
    clock.now = 1000
    expect(s.tryStart(two)).toBeNull() // a third within [0, 1000]: the receiver counts 3
    expect(s.delay(two)).toBe(20)
    sendAt(s, clock, two, 1020)
  })

  it('counts over the last n sends as its ring fills and wraps, many times over', () => {
    const { clock, s } = spacing(10)
    const five = perRecipient(5)
    const starts: number[] = []
    for (let i = 0; i < 40; i++) {
      const at = clock.now + Math.max(0, s.delay(five))
      sendAt(s, clock, five, at)
      starts.push(at)
    }
    // Any 6 in a row span more than a second plus the margin: never 6 in a receiver's second.
    for (let i = 5; i < starts.length; i++)
      expect((starts[i] as number) - (starts[i - 5] as number)).toBeGreaterThanOrEqual(1010)
    // And no slower than that: the 6th waits for the 1st, not longer.
    expect((starts[39] as number) - (starts[0] as number)).toBeLessThan(8 * 1010 + 1)
  })

  it('counts a send from its write, not from its hand-over (a connect in between)', () => {
    const { clock, s } = spacing()
    const one = perRecipient(1)
    const first = s.tryStart(one)
    clock.now = 31 // the connect took 31 ms
    first?.written()
    expect(s.delay(one)).toBe(1000 - 31 + 31)
    clock.now = 1000
    expect(s.tryStart(one)).toBeNull()
    clock.now = 1031
    expect(s.tryStart(one)).not.toBeNull()
  })

  it('waits for the write of the send it counts against while that one is still connecting', async () => {
    const { clock, s } = spacing()
    const one = perRecipient(1)
    const first = s.tryStart(one)
    first?.expectWrite(5000)
    clock.now = 2000 // long past its interval, but where it lands on the wire is not known yet
    expect(s.tryStart(one)).toBeNull()
    let ready = false
    const waiting = s.ready(one).then(() => (ready = true))
    await Promise.resolve()
    expect(ready).toBe(false)
    clock.now = 2100
    first?.written() // only now: the next may go a second after this
    expect(s.delay(one)).toBe(1000)
    clock.now = 3100
    await waiting
    expect(ready).toBe(true)
    expect(s.tryStart(one)).not.toBeNull()
  })

  it('does not hold a send back for one that is still connecting to someone else', () => {
    const { clock, s } = spacing()
    const connecting = s.tryStart([{ key: 'c:sms', perSecond: 30 }, ...perRecipient(1, 'r:a')])
    connecting?.expectWrite(5000)
    clock.now = 40
    const next = s.tryStart([{ key: 'c:sms', perSecond: 30 }, ...perRecipient(1, 'r:b')])
    expect(next).not.toBeNull()
  })

  it('lets a send follow a late one sooner, never closer than half an interval', () => {
    const { clock, s } = spacing()
    const two = perRecipient(2)
    sendAt(s, clock, two, 0)
    sendAt(s, clock, two, 700) // woke 200 ms late
    // Not 1200 (a full interval after the late one): the window allows 1000; and never before
    // half an interval after the last.
    clock.now = 700
    expect(s.delay(two)).toBe(300)
    sendAt(s, clock, two, 1000)
    clock.now = 1000
    expect(s.delay(two)).toBe(700) // the window again: 700 + 1000 - 1000
    const ten = perRecipient(10, 'r:b')
    sendAt(s, clock, ten, 0)
    clock.now = 0
    expect(s.delay(ten)).toBe(100 * MIN_GAP_SHARE)
  })

  it('keeps the last send in view when a reload changes the rate', () => {
    const { clock, s } = spacing()
    sendAt(s, clock, perRecipient(1), 0)
    clock.now = 10
    expect(s.tryStart(perRecipient(4))).toBeNull()
    clock.now = 125
    expect(s.tryStart(perRecipient(4))).not.toBeNull()
  })

  it('forgets recipients once their last send limits nothing any more', () => {
    const { clock, s } = spacing()
    for (let i = 0; i < 10_001; i++) sendAt(s, clock, perRecipient(1, `r:${i}`), 0)
    expect(s.size).toBe(10_001)
    sendAt(s, clock, perRecipient(1, 'r:late'), 1500) // r:0 … could still count until 2000
    expect(s.size).toBe(10_002)
    sendAt(s, clock, perRecipient(1, 'r:later'), 2500)
    expect(s.size).toBe(2)
  })

  it('stops waiting for a write that never comes once the send is over', async () => {
    const { clock, s } = spacing()
    const one = perRecipient(1)
    const refused = s.tryStart(one)
    refused?.expectWrite(5000)
    clock.now = 1000
    const waiting = s.ready(one)
    refused?.settled() // connect refused: nothing left
    await waiting
    expect(s.tryStart(one)).not.toBeNull()
  })
})
