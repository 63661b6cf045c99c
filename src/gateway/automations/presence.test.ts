/**
 * Agents' presence for `no_agent_online` (DESIGN §14), on a real in-process bus with the test's
 * clock: an agent-key call counts for 5 minutes, an open console stream while it is open, and
 * another daemon's `agent.presence` announcement until its `until`.
 */
import { describe, expect, it } from 'vitest'
import { InProcessBus, type LiveEvent } from '../live/bus.js'
import { liveEvent } from '../live/events.js'
import { API_CALL_PRESENCE_MS, Presence } from './presence.js'

function rig() {
  let now = Date.parse('2026-01-01T10:00:00.000Z')
  const bus = new InProcessBus()
  const seen: LiveEvent[] = []
  bus.subscribe((e) => seen.push(...e))
  const p = new Presence(bus, () => now)
  p.start()
  return { p, bus, seen, tick: (ms: number) => (now += ms), at: () => now }
}

describe('presence', () => {
  it('an agent-key call counts for 5 minutes, announced at most once a minute', () => {
    const { p, seen, tick } = rig()
    expect(p.anyOnline()).toBe(false)
    p.apiCall('alice')
    p.apiCall('alice')
    expect(p.anyOnline()).toBe(true)
    expect(seen.filter((e) => e.type === 'agent.presence')).toHaveLength(1)
    tick(API_CALL_PRESENCE_MS - 1)
    expect(p.anyOnline()).toBe(true)
    tick(1)
    expect(p.anyOnline()).toBe(false)
    p.stop()
  })

  it('a console stream counts while open, and closing twice is harmless', () => {
    const { p, tick } = rig()
    const closeA = p.streamOpened('alice')
    const closeB = p.streamOpened('alice')
    tick(60 * 60_000)
    expect(p.anyOnline()).toBe(true)
    closeA()
    closeA()
    expect(p.anyOnline()).toBe(true)
    closeB()
    // The announcement made at opening has long expired: offline.
    expect(p.anyOnline()).toBe(false)
    p.stop()
  })

  it('another daemon’s announcement counts until its `until`', () => {
    const { p, bus, tick, at } = rig()
    const until = new Date(at() + 120_000).toISOString()
    bus.publish([
      liveEvent('agent.presence', { agent: 'bob', until }, new Date(at()).toISOString()),
    ])
    expect(p.anyOnline()).toBe(true)
    tick(120_000)
    expect(p.anyOnline()).toBe(false)
    p.stop()
    // Stopped: no longer listening.
    bus.publish([
      liveEvent('agent.presence', { agent: 'bob', until: '2099-01-01T00:00:00.000Z' }, until),
    ])
    expect(p.anyOnline()).toBe(false)
  })
})
