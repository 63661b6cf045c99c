import { describe, expect, it } from 'vitest'
import { InProcessBus, type LiveEvent } from './bus.js'
import { openStream, sseFrame } from './stream.js'
import { recordEvents } from './events.js'
import type { EventFactory } from '../events.js'

const ev = (n: number): LiveEvent => ({
  id: `ev_${n}`,
  type: 'message.inbound',
  created_at: '2026-01-01T00:00:00.000Z',
  data: { n },
})

async function readText(
  r: ReadableStreamDefaultReader<Uint8Array>,
  until: string,
): Promise<string> {
  const dec = new TextDecoder()
  let text = ''
  while (!text.includes(until)) {
    const { value, done } = await r.read()
    if (done) break
    text += dec.decode(value)
  }
  return text
}

describe('InProcessBus', () => {
  it('hands each batch to every listener in publish order, and unsubscribes', () => {
    const bus = new InProcessBus()
    const a: string[] = []
    const b: string[] = []
    const offA = bus.subscribe((es) => a.push(...es.map((e) => e.id)))
    bus.subscribe((es) => b.push(...es.map((e) => e.id)))
    bus.publish([ev(1), ev(2)])
    offA()
    offA()
    bus.publish([ev(3)])
    expect(a).toEqual(['ev_1', 'ev_2'])
    expect(b).toEqual(['ev_1', 'ev_2', 'ev_3'])
    expect(bus.size).toBe(1)
  })

  it('a throwing listener neither reaches the publisher nor starves the others', () => {
    const bus = new InProcessBus()
    const got: string[] = []
    bus.subscribe(() => {
      throw new Error('boom')
    })
    bus.subscribe((es) => got.push(es[0]!.id))
    expect(() => bus.publish([ev(1)])).not.toThrow()
    expect(got).toEqual(['ev_1'])
  })

  it('the same function subscribed twice is two subscriptions', () => {
    const bus = new InProcessBus()
    let n = 0
    const l = (): void => void n++
    const off = bus.subscribe(l)
    bus.subscribe(l)
    bus.publish([ev(1)])
    off()
    bus.publish([ev(2)])
    expect(n).toBe(3)
  })
})

describe('recordEvents', () => {
  it('answers as the factory does and keeps every event, targeted or not', () => {
    const factory: EventFactory = (type, data, at) =>
      type === 'message.inbound'
        ? [{ id: 'ev_hook', type, created_at: at, data, targets: ['u'] }]
        : []
    const r = recordEvents(factory)
    expect(r.events('message.inbound', { a: 1 }, 't1')).toHaveLength(1)
    expect(r.events('thread.opened', { b: 2 }, 't2')).toEqual([])
    const taken = r.taken()
    expect(taken.map((e) => e.type)).toEqual(['message.inbound', 'thread.opened'])
    expect(taken[0]!.id).toBe('ev_hook')
    expect(taken[1]!.id).toMatch(/^ev_/)
    expect(taken[1]).toMatchObject({ created_at: 't2', data: { b: 2 } })
  })
})

describe('openStream', () => {
  it('writes SSE frames and heartbeat comments, and unsubscribes when the client cancels', async () => {
    const bus = new InProcessBus()
    const reader = openStream(bus, undefined, { heartbeatMs: 20 }).getReader()
    expect(await readText(reader, ': connected')).toContain('retry: ')
    expect(bus.size).toBe(1)
    bus.publish([ev(7)])
    const frame = await readText(reader, '\n\n')
    expect(frame).toBe(sseFrame(ev(7)))
    expect(frame).toContain('event: message.inbound\n')
    expect(await readText(reader, ': keepalive')).toContain(': keepalive\n\n')
    await reader.cancel()
    expect(bus.size).toBe(0)
  })

  it('drops a client that stops reading once its buffer is full', async () => {
    const bus = new InProcessBus()
    const reader = openStream(bus, undefined, { maxBuffered: 5, heartbeatMs: 60_000 }).getReader()
    for (let i = 0; i < 10; i++) bus.publish([ev(i)])
    expect(bus.size).toBe(0)
    await expect(reader.read()).rejects.toThrow(/too slow/)
  })

  it('ends the subscription when the request is aborted', () => {
    const bus = new InProcessBus()
    const ac = new AbortController()
    openStream(bus, ac.signal)
    expect(bus.size).toBe(1)
    ac.abort()
    expect(bus.size).toBe(0)
  })
})
