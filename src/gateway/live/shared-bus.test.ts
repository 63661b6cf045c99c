import { afterEach, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  dropTestDatabase,
  onServer,
  testStoreDialect,
  uniqueDatabaseName,
} from '../../../test/helpers/postgres.js'
import { openStore } from '../../store/index.js'
import type { Store } from '../../store/types.js'
import type { LiveEvent } from './bus.js'
import { SharedBus, split } from './shared-bus.js'

const event = (n: number, pad = 0): LiveEvent => ({
  id: `ev_${String(n).padStart(4, '0')}`,
  type: 'message.received',
  created_at: '2026-01-01T00:00:00.000Z',
  data: { n, text: 'x'.repeat(pad) },
})

describe('split', () => {
  it('keeps each payload under the limit, in order, and an oversized event alone', () => {
    const events = [event(1, 300), event(2, 300), event(3, 2000), event(4, 10), event(5, 300)]
    const payloads = split('o1', events, 1000)
    // [1, 2], [3] alone, [4, 5]
    const ids = payloads.map((p) => (JSON.parse(p) as { e: LiveEvent[] }).e.map((e) => e.data.n))
    expect(ids).toEqual([[1, 2], [3], [4, 5]])
    expect(payloads.filter((p) => Buffer.byteLength(p) > 1000)).toHaveLength(1)
    const back = payloads.flatMap((p) => (JSON.parse(p) as { o: string; e: LiveEvent[] }).e)
    expect(back).toEqual(events)
    expect(payloads.every((p) => (JSON.parse(p) as { o: string }).o === 'o1')).toBe(true)
  })
})

describe.runIf(testStoreDialect() === 'postgres')('SharedBus on PostgreSQL (DESIGN §10)', () => {
  let database = ''
  const stores: Store[] = []
  const buses: SharedBus[] = []
  afterEach(async () => {
    for (const b of buses.splice(0)) await b.close()
    for (const s of stores.splice(0)) await s.close()
    if (database) await dropTestDatabase(database)
    database = ''
  })

  /** Two daemons' buses on one database, both listening; what each one's listener got. */
  async function twoBuses(): Promise<{
    a: SharedBus
    b: SharedBus
    gotA: LiveEvent[][]
    gotB: LiveEvent[][]
    url: string
  }> {
    database = uniqueDatabaseName('bus')
    const url = await createTestDatabase(database)
    for (let i = 0; i < 2; i++) {
      const store = await openStore({ file: '', dataDir: '', postgres: { url, pool: 2 } })
      stores.push(store)
      if (!store.notifications) throw new Error('a PostgreSQL store has notifications')
      const bus = new SharedBus(store.notifications, { origin: `daemon-${i}` })
      bus.start()
      buses.push(bus)
    }
    const [a, b] = buses as [SharedBus, SharedBus]
    await expect.poll(() => a.listenCount + b.listenCount).toBe(2)
    const gotA: LiveEvent[][] = []
    const gotB: LiveEvent[][] = []
    a.subscribe((e) => gotA.push([...e]))
    b.subscribe((e) => gotB.push([...e]))
    return { a, b, gotA, gotB, url }
  }

  it("delivers a batch to the other daemon's listeners, and to its own once", async () => {
    const { a, gotA, gotB } = await twoBuses()
    a.publish([event(1), event(2)])
    expect(gotA).toEqual([[event(1), event(2)]]) // at once, before any round trip
    await expect.poll(() => gotB.flat().length).toBe(2)
    expect(gotB.flat()).toEqual([event(1), event(2)])
    await a.flushed()
    await new Promise((r) => setTimeout(r, 100))
    expect(gotA).toHaveLength(1) // its own notification was skipped
  })

  it('splits a large batch into several notifications, in publish order', async () => {
    const { a, gotB } = await twoBuses()
    const events = Array.from({ length: 60 }, (_, i) => event(i, 700))
    a.publish(events.slice(0, 30))
    a.publish(events.slice(30))
    await expect.poll(() => gotB.flat().length).toBe(60)
    expect(gotB.length).toBeGreaterThan(2)
    expect(gotB.flat().map((e) => e.id)).toEqual(events.map((e) => e.id))
  })

  it('carries an event larger than a notification whole, between smaller ones', async () => {
    const { a, gotB } = await twoBuses()
    const big = event(2, 50_000)
    a.publish([event(1), big, event(3)])
    await expect.poll(() => gotB.flat().length).toBe(3)
    expect(gotB.flat()).toEqual([event(1), big, event(3)])
  })

  it('listens again after its connection is killed; publish never throws meanwhile', async () => {
    const { a, b, gotB, url } = await twoBuses()
    const killed = await onServer(url, async (c) => {
      const r = await c.query(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE application_name = 'omnigate-listen' AND datname = current_database()`,
      )
      return r.rows.length
    })
    expect(killed).toBe(2)
    expect(() => a.publish([event(1)])).not.toThrow()
    await expect.poll(() => b.listenCount, { timeout: 10_000 }).toBeGreaterThanOrEqual(2)
    a.publish([event(2)])
    await expect.poll(() => gotB.flat().some((e) => e.id === event(2).id)).toBe(true)
  })
})
