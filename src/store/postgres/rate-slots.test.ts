/**
 * Rate slots shared by daemons on one PostgreSQL (DESIGN §10): the reservation function of
 * migration 6 through `Store.pacing`, with two stores on one database standing for two daemons.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  dropTestDatabase,
  testStoreDialect,
  uniqueDatabaseName,
} from '../../../test/helpers/postgres.js'
import { openStore } from '../index.js'
import type { SharedLimit, SharedPacing, Store } from '../types.js'

const ch = (intervalMs: number): SharedLimit => ({ key: 'c:sms', intervalMs })
const rcpt = (who: string, intervalMs: number): SharedLimit => ({ key: `r:sms:${who}`, intervalMs })
const HOLD = 60_000

describe.skipIf(testStoreDialect() !== 'postgres')('shared rate slots (PostgreSQL)', () => {
  const cleanup: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f()
  })

  /** `n` stores on one fresh database, as `n` daemons would have, and a raw client. */
  async function daemons(n: number): Promise<{ stores: Store[]; db: pg.Client }> {
    const name = uniqueDatabaseName('slots')
    const url = await createTestDatabase(name)
    cleanup.push(() => dropTestDatabase(name))
    const stores: Store[] = []
    for (let i = 0; i < n; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'omnigate-slots-'))
      const store = await openStore({
        file: join(dir, 'x.db'),
        dataDir: dir,
        postgres: { url, pool: 2 },
      })
      cleanup.push(async () => {
        await store.close()
        rmSync(dir, { recursive: true, force: true })
      })
      stores.push(store)
    }
    const db = new pg.Client({ connectionString: url })
    await db.connect()
    cleanup.push(() => db.end())
    return { stores, db }
  }
  const pacing = (s: Store | undefined): SharedPacing => {
    if (!s?.pacing) throw new Error('this store shares no rate slots')
    return s.pacing
  }

  it('hands out one key’s slots an interval apart, the first one now', async () => {
    const { stores } = await daemons(1)
    const p = pacing(stores[0])
    const before = Date.now()
    const slots = await Promise.all(Array.from({ length: 5 }, () => p.reserve([ch(100)], HOLD)))
    expect(slots.every((s) => s.reserved)).toBe(true)
    const at = slots.map((s) => s.at).sort((a, b) => a - b)
    expect(at[0]).toBeGreaterThanOrEqual(before - 5)
    expect(at[0]).toBeLessThanOrEqual(Date.now() + 5)
    for (let i = 1; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeCloseTo(100, 6)
  })

  it('gives a send the latest slot of its limits, and moves each limit on from there', async () => {
    const { stores } = await daemons(1)
    const p = pacing(stores[0])
    const a = await p.reserve([ch(10), rcpt('ana', 1000)], HOLD)
    // Ana's next slot is a second on: her send waits for it, and the channel's moves past it.
    const b = await p.reserve([ch(10), rcpt('ana', 1000)], HOLD)
    expect(b.at - a.at).toBeCloseTo(1000, 3)
    // Bob is free on his own; the channel's next slot is after Ana's second send.
    const c = await p.reserve([ch(10), rcpt('bob', 1000)], HOLD)
    expect(c.at - b.at).toBeCloseTo(10, 3)
  })

  it('reserves nothing for a slot further off than asked', async () => {
    const { stores } = await daemons(1)
    const p = pacing(stores[0])
    const first = await p.reserve([ch(5000)], HOLD)
    const far = await p.reserve([ch(5000)], 1000)
    expect(far).toEqual({ at: expect.closeTo(first.at + 5000, 3), reserved: false })
    // Not taken: the next one asking with patience gets that very slot.
    const next = await p.reserve([ch(5000)], HOLD)
    expect(next).toEqual({ at: expect.closeTo(first.at + 5000, 3), reserved: true })
  })

  it('reserves the calls of one turn in the order they were made (lease order)', async () => {
    const { stores } = await daemons(1)
    const p = pacing(stores[0])
    // One call's worth: asked in one turn, they share a statement; the first asked goes first
    // on the channel, whichever of them the caller awaits first.
    const asked = ['single', 'bulk-1', 'bulk-2', 'bulk-3'].map((who) =>
      p.reserve([ch(100), rcpt(who, 1000)], HOLD),
    )
    const slots = await Promise.all([...asked].reverse())
    const at = slots.reverse().map((s) => s.at)
    for (let i = 1; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeCloseTo(100, 3)
  })

  it('gives no slot earlier than the lead asked for', async () => {
    const { stores } = await daemons(1)
    const p = pacing(stores[0])
    const before = Date.now()
    const s = await p.reserve([ch(100)], HOLD, 300)
    expect(s.reserved).toBe(true)
    expect(s.at).toBeGreaterThanOrEqual(before + 300 - 5)
    // The hold counts from the lead: a slot 300 ms off is still near enough for a hold of 100.
    const t = await p.reserve([ch(100)], 150, 300)
    expect(t).toEqual({ at: expect.closeTo(s.at + 100, 3), reserved: true })
  })

  it('never gives two daemons slots closer than the interval on one key', async () => {
    const { stores } = await daemons(3)
    const all = await Promise.all(
      stores.flatMap((s) => Array.from({ length: 20 }, () => pacing(s).reserve([ch(50)], HOLD))),
    )
    expect(all.every((s) => s.reserved)).toBe(true)
    const at = all.map((s) => s.at).sort((a, b) => a - b)
    for (let i = 1; i < at.length; i++)
      expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeGreaterThanOrEqual(50 - 1e-6)
    expect((at[at.length - 1] ?? 0) - (at[0] ?? 0)).toBeCloseTo(59 * 50, -1)
  })

  it('sweeps keys idle for a minute, and keeps the ones that still limit', async () => {
    const { stores, db } = await daemons(1)
    await db.query(
      `INSERT INTO rate_slots (key, next_at) VALUES ('r:sms:old', 0),
         ('r:sms:soon', extract(epoch FROM clock_timestamp()) * 1000 + 60000)`,
    )
    // A daemon's first call sweeps.
    await pacing(stores[0]).reserve([ch(10)], HOLD)
    const { rows } = await db.query<{ key: string }>('SELECT key FROM rate_slots ORDER BY key')
    expect(rows.map((r) => r.key)).toEqual(['c:sms', 'r:sms:soon'])
  })

  it('SQLite shares no slots: one daemon’s pacing in memory is the whole truth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnigate-slots-'))
    const store = await openStore({ file: join(dir, 'x.db'), dataDir: dir, postgres: null })
    expect(store.pacing).toBeUndefined()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
})
