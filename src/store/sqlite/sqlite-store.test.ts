/**
 * The async contract over one synchronous SQLite connection: a transaction is begun and committed
 * within one synchronous call, so no other request's code runs while one is open — it never sees
 * uncommitted rows, and never starts a transaction inside another.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { openStore, type Store } from '../index.js'
import { Fx, openTempStore, type TempStore } from '../test-fixtures.js'
import type { SqliteDatabase } from './sqlite-database.js'

let t: TempStore
let db: SqliteDatabase
let store: Store
beforeEach(async () => {
  t = await openTempStore()
  await t.store.close()
  // The same file, with the connection in hand to watch its transaction state.
  store = await openStore({ file: t.file, dataDir: t.dir, onOpen: (d) => (db = d) })
  t.store = store
  t.fx = new Fx(store, t.fx)
})
afterEach(() => t.dispose())

/**
 * Runs as often as the event loop lets it, between any other code's steps (microtasks and
 * turns alike), until stopped: how often it ran, and how often it found a transaction open.
 */
function watch(): { stop(): Promise<{ runs: number; open: number }> } {
  let running = true
  let runs = 0
  let open = 0
  const loop = (async () => {
    while (running) {
      for (let i = 0; i < 50 && running; i++) {
        runs++
        if (db.inTransaction) open++
        await Promise.resolve()
      }
      await new Promise((r) => setImmediate(r))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return { runs, open }
    },
  }
}

describe('SQLite store concurrency', () => {
  it('never lets other code run while a transaction is open, under a mixed concurrent load', async () => {
    const contacts: string[] = []
    for (let i = 0; i < 20; i++) contacts.push((await t.fx.contact({ first_name: `C${i}` })).id)
    const w = watch()
    const work: Promise<unknown>[] = []
    for (let round = 0; round < 5; round++) {
      // Each round in a later turn of the event loop, while the earlier rounds' commits are due.
      await new Promise((r) => setImmediate(r))
      for (const id of contacts) {
        const plan = t.fx.outPlan(id)
        if ('create' in plan.thread) plan.thread.singleOpen = false
        work.push(store.accept(plan)) // group-committed
        work.push(store.inbound.receive(t.fx.inPlan(`in-${id}-${round}`))) // own transaction
        work.push(store.threads.listActiveByContact(id)) // reads
        work.push(store.contacts.search({ q: 'c1', limit: 5 }))
      }
      work.push(
        store.outbox
          .lease(Date.now() + 60_000, 30, 30_000)
          .then((jobs) =>
            store.outbox.record(
              jobs.map((j) => ({ kind: 'released', jobId: j.jobId, dueAtMs: 0 })),
            ),
          ),
      )
    }
    const results = await Promise.allSettled(work)
    const { runs, open } = await w.stop()
    expect(results.filter((r) => r.status === 'rejected')).toEqual([])
    expect(runs).toBeGreaterThan(100) // it did get to run between the steps of the load
    expect(open).toBe(0)
    expect(await store.integrityCheck()).toBe('ok')
  })

  it('a read issued while accepts wait for their group commit sees none of them', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ana' })).id
    const plans = [t.fx.outPlan(ana), t.fx.outPlan(ana)]
    const pending = plans.map((p) => store.accept(p))
    // Submitted, not committed: invisible to everyone, the same process included.
    expect(await store.messages.get(plans[0]?.message.id ?? '')).toBeNull()
    expect(await store.outbox.depth()).toBe(0)
    // A write issued meanwhile commits on its own, not inside the pending batch.
    await store.kv.set('test', 'k', 'v')
    expect(db.inTransaction).toBe(false)
    const [first] = await Promise.all(pending)
    expect(first).toMatchObject({ ok: true })
    expect(await store.messages.get(plans[0]?.message.id ?? '')).not.toBeNull()
    expect(await store.kv.get('test', 'k')).toBe('v')
  })

  it('a write that fails leaves no transaction open for the next one', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ana' }).identity('tg', '42')).id
    await expect(
      store.contacts.create(
        { id: 'ct_dup' },
        [{ id: 'id_dup', channel: 'tg', address: '42' }],
        '2025-01-01T00:00:00.000Z',
      ),
    ).rejects.toMatchObject({ code: 'identity_taken', details: { contact_id: ana } })
    expect(db.inTransaction).toBe(false)
    expect(await store.contacts.get('ct_dup')).toBeNull()
    await store.kv.set('test', 'after', 'ok')
    expect(await store.kv.get('test', 'after')).toBe('ok')
  })

  it('backs up while writes go on', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ana' })).id
    const writes = Array.from({ length: 20 }, () => store.accept(t.fx.outPlan(ana)))
    await store.backup(join(t.dir, 'copy.db'))
    await Promise.all(writes)
    const copy = await openStore({ file: join(t.dir, 'copy.db'), dataDir: t.dir })
    expect(await copy.integrityCheck()).toBe('ok')
    await copy.close()
  })

  it('busy writes start the checkpoint thread; a close still ends with no WAL and every row', async () => {
    const people: string[] = []
    for (let i = 0; i < 40; i++) people.push((await t.fx.contact({ first_name: `P${i}` })).id)
    const sent = await Promise.all(people.map((id) => store.accept(t.fx.outPlan(id))))
    // The thread runs once the loop's own threshold is the backstop (checkpointer.ts).
    await vi.waitFor(() => expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(16_384), {
      timeout: 5000,
    })
    await store.close()
    // The loop's connection closed last: it checkpointed the WAL into the file and removed it.
    expect(existsSync(`${t.file}-wal`)).toBe(false)
    store = await openStore({ file: t.file, dataDir: t.dir })
    t.store = store
    for (const out of sent) {
      if (!out.ok) throw new Error('an accept was refused')
      expect((await store.messages.get(out.messageId))?.status).toBe('queued')
    }
  })
})
