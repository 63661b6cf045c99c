/**
 * Agents' presence for `no_agent_online` (DESIGN §14), with the test's clock: an agent-key call
 * counts for 5 minutes, an open console stream while it is open, and what another daemon tells
 * (over a transport: here an in-memory wire standing in for PostgreSQL NOTIFY) until its `until`.
 */
import { describe, expect, it } from 'vitest'
import { API_CALL_PRESENCE_MS, Presence, type PresenceTransport } from './presence.js'

/** Every payload sent reaches every listener, the sender's included (as NOTIFY does). */
class Wire {
  readonly sent: string[] = []
  private readonly listeners = new Set<(p: string) => void>()
  transport(): PresenceTransport {
    return {
      send: (p) => {
        this.sent.push(p)
        for (const l of this.listeners) l(p)
      },
      listen: (on) => {
        this.listeners.add(on)
        return () => this.listeners.delete(on)
      },
    }
  }
}

function rig() {
  let now = Date.parse('2026-01-01T10:00:00.000Z')
  const wire = new Wire()
  const clock = () => now
  const here = new Presence(clock, wire.transport())
  const there = new Presence(clock, wire.transport())
  here.start()
  there.start()
  return { here, there, wire, tick: (ms: number) => (now += ms) }
}

describe('presence', () => {
  it('an agent-key call counts for 5 minutes, here and (told once a minute) in the other daemon', () => {
    const { here, there, wire, tick } = rig()
    expect(here.anyOnline()).toBe(false)
    expect(there.anyOnline()).toBe(false)
    here.apiCall('alice')
    here.apiCall('alice')
    expect(wire.sent).toHaveLength(1)
    expect(here.anyOnline()).toBe(true)
    expect(there.anyOnline()).toBe(true)
    tick(API_CALL_PRESENCE_MS - 1)
    expect(there.anyOnline()).toBe(true)
    tick(1)
    expect(here.anyOnline()).toBe(false)
    expect(there.anyOnline()).toBe(false)
    here.stop()
    there.stop()
  })

  it('a console stream counts while open; elsewhere until its announcement runs out', () => {
    const { here, there, tick } = rig()
    const closeA = here.streamOpened('alice')
    const closeB = here.streamOpened('alice')
    expect(there.anyOnline()).toBe(true)
    tick(60 * 60_000)
    expect(here.anyOnline()).toBe(true)
    closeA()
    closeA()
    expect(here.anyOnline()).toBe(true)
    closeB()
    // The announcement made at opening has long expired: offline everywhere.
    expect(here.anyOnline()).toBe(false)
    expect(there.anyOnline()).toBe(false)
    here.stop()
    there.stop()
  })

  it('without a transport (one daemon, SQLite) it is local only; a stopped one stops listening', () => {
    const { here, there } = rig()
    const alone = new Presence(() => Date.parse('2026-01-01T10:00:00.000Z'))
    alone.start()
    alone.apiCall('bob')
    expect(alone.anyOnline()).toBe(true)
    there.stop()
    here.apiCall('carol')
    expect(there.anyOnline()).toBe(false)
    here.stop()
    alone.stop()
  })
})
