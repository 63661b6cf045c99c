import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { Fx, openTempStore, type TempStore } from '../test-fixtures.js'
import type { AcceptPlan, BulkChunk } from '../types.js'
import { migrate } from './migrate.js'
import { MIGRATIONS } from './migrations/index.js'
import { openDatabase } from './open-database.js'
import { RECIPIENT_PAGE } from '../core/bulk.js'
import { createSqliteStore } from './sqlite-store.js'

let t: TempStore
beforeEach(async () => {
  t = await openTempStore()
})
afterEach(() => t.dispose())

const T0 = Date.parse('2025-06-01T00:00:00.000Z')
const LEASE_MS = 30_000

async function newBulk(contactIds: string[], id = 'bk_1') {
  return await t.store.bulk.create(
    {
      id,
      channel: 'tg',
      author: { kind: 'agent', id: 'alice' },
      spec: { text: 'hi' },
      contactIds,
      next_due_at: 0,
    },
    t.fx.now(),
  )
}

/** A bulk message for a contact, due at `dueAt`. */
function bulkPlan(contactId: string, dueAt = T0, bulkId = 'bk_1'): AcceptPlan {
  const p = t.fx.outPlan(contactId, { outbox: { dueAt, recipientKey: `tg:${contactId}` } })
  p.message.bulk_id = bulkId
  return p
}

function chunk(over: Partial<BulkChunk> & Pick<BulkChunk, 'from' | 'to'>): BulkChunk {
  return { bulkId: 'bk_1', plans: [], skipped: {}, next_due_at: T0, now: t.fx.now(), ...over }
}

async function contacts(n: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push((await t.fx.contact({ first_name: `C${i}` })).id)
  return ids
}

/** The leased job was sent. */
async function sent(job: { jobId: number; messageId: string }) {
  await t.store.outbox.record([
    {
      kind: 'sent',
      jobId: job.jobId,
      messageId: job.messageId,
      at: t.fx.now(),
      events: [],
      platformMessageId: null,
      possibleDuplicate: false,
    },
  ])
}

describe('bulk jobs', () => {
  it('stores the recipient snapshot in pages and reads any range of it back in order', async () => {
    const ids = Array.from({ length: RECIPIENT_PAGE * 2 + 5 }, (_, i) => `ct_${i}`)
    const b = await newBulk(ids)
    expect(b).toMatchObject({ status: 'running', total: ids.length, checked: 0, eligible: 0 })
    expect(b.skipped).toEqual({})
    expect(await t.store.bulk.recipients('bk_1', RECIPIENT_PAGE - 3, 6)).toEqual(
      ids.slice(RECIPIENT_PAGE - 3, RECIPIENT_PAGE + 3),
    )
    expect(await t.store.bulk.recipients('bk_1', ids.length - 2, 10)).toEqual(ids.slice(-2))
    expect(await t.store.bulk.recipients('bk_1', ids.length, 10)).toEqual([])
    expect((await t.store.bulk.listUnfinished()).map((x) => x.id)).toEqual(['bk_1'])
  })

  it('loads the facts of a chunk: contact, identity on the channel, active threads with tags', async () => {
    const a = await t.fx
      .contact({ first_name: 'Ana' })
      .identity('tg', '42')
      .identity('mail', 'ana@example.com')
      .thread('tg', { tags: ['vip'] })
      .thread('mail', { status: 'closed' })
    const b = await t.fx.contact({ first_name: 'Bo' })
    const facts = await t.store.bulk.facts([a.id, b.id, 'ct_gone'], 'tg')
    expect([...facts.keys()].sort()).toEqual([a.id, b.id].sort())
    expect(facts.get(a.id)).toMatchObject({
      contact: { first_name: 'Ana' },
      identity: { channel: 'tg', address: '42' },
      activeThreads: [{ channel: 'tg', status: 'open', tags: ['vip'] }],
    })
    expect(facts.get(b.id)).toMatchObject({ identity: null, activeThreads: [] })
  })

  it('applies a chunk in one go: messages, jobs, counts, cursor; a replay writes nothing', async () => {
    const [a = '', b = '', c = ''] = await contacts(3)
    await newBulk([a, b, c])
    const first = chunk({ from: 0, to: 2, plans: [bulkPlan(a), bulkPlan(b)], skipped: {} })
    expect(await t.store.bulk.applyChunk(first)).toMatchObject({ checked: 2, eligible: 2 })
    expect(await t.store.bulk.applyChunk(first)).toBeNull() // the cursor moved on
    expect(await t.store.outbox.depth()).toBe(2)
    const last = chunk({ from: 2, to: 3, skipped: { contact_blocked: 1 }, next_due_at: T0 + 5 })
    expect(await t.store.bulk.applyChunk(last)).toMatchObject({
      checked: 3,
      eligible: 2,
      skipped: { contact_blocked: 1 },
      next_due_at: T0 + 5,
    })
    expect(await t.store.bulk.counts('bk_1')).toMatchObject({ queued: 2, sent: 0 })
  })

  it('never gives a contact a second message of the same bulk', async () => {
    const [a = ''] = await contacts(1)
    await newBulk([a, a])
    await t.store.bulk.applyChunk(chunk({ from: 0, to: 1, plans: [bulkPlan(a)] }))
    const again = await t.store.bulk.applyChunk(chunk({ from: 1, to: 2, plans: [bulkPlan(a)] }))
    expect(again).toMatchObject({ checked: 2, eligible: 1 })
    expect(await t.store.outbox.depth()).toBe(1)
  })

  it('a conflict found in the transaction skips that recipient only, by its code', async () => {
    const [a = '', b = ''] = await contacts(2)
    await newBulk([a, b])
    // Since the gateway looked, `a` got an open thread on another channel.
    await t.store.threads.create(
      { id: 'th_other', contact_id: a, channel: 'mail', assignee: null, tags: [] },
      false,
      'bob',
      t.fx.now(),
      [],
    )
    const rec = await t.store.bulk.applyChunk(
      chunk({ from: 0, to: 2, plans: [bulkPlan(a), bulkPlan(b)] }),
    )
    expect(rec).toMatchObject({ checked: 2, eligible: 1, skipped: { thread_conflict: 1 } })
    expect(await t.store.outbox.depth()).toBe(1)
    expect((await t.store.threads.listActiveByContact(a)).map((x) => x.id)).toEqual(['th_other'])
  })

  it('leases single sends before bulk jobs that were due earlier', async () => {
    const [a = '', b = '', c = ''] = await contacts(3)
    await newBulk([a, b])
    await t.store.bulk.applyChunk(
      chunk({ from: 0, to: 2, plans: [bulkPlan(a, T0), bulkPlan(b, T0 + 1)] }),
    )
    const single = await t.store.accept(
      t.fx.outPlan(c, { outbox: { dueAt: T0 + 2, recipientKey: 'tg:c' } }),
    )
    if (!single.ok) throw new Error('accept failed')
    const jobs = await t.store.outbox.lease(T0 + 10, 2, LEASE_MS)
    expect(jobs.map((j) => j.messageId)[0]).toBe(single.messageId)
    expect(jobs).toHaveLength(2)
    expect(await t.store.outbox.nextDue()).toBe(T0 + 1)
  })

  it('finishes once every recipient is checked and nothing is queued or sending, event once', async () => {
    const [a = '', b = ''] = await contacts(2)
    await newBulk([a, b])
    const events = (kind: string) => [
      {
        id: `ev_${kind}`,
        type: 'bulk.done',
        created_at: t.fx.now(),
        data: {},
        targets: ['https://a.example'],
      },
    ]
    await t.store.bulk.applyChunk(chunk({ from: 0, to: 1, plans: [bulkPlan(a)] }))
    expect(await t.store.bulk.finish('bk_1', t.fx.now(), events('early'))).toBeNull() // b unchecked
    await t.store.bulk.applyChunk(chunk({ from: 1, to: 2, plans: [bulkPlan(b)] }))
    expect(await t.store.bulk.finish('bk_1', t.fx.now(), events('queued'))).toBeNull()
    for (const job of await t.store.outbox.lease(T0, 10, LEASE_MS)) await sent(job)
    const done = await t.store.bulk.finish('bk_1', t.fx.now(), events('done'))
    expect(done).toMatchObject({ status: 'done', finished_at: expect.any(String) })
    expect(await t.store.bulk.finish('bk_1', t.fx.now(), events('again'))).toBeNull()
    expect(await t.store.webhooks.depth()).toBe(1)
    // The event carries the bulk as finished and its counts, completed inside the transaction.
    const [delivery] = await t.store.webhooks.lease(Date.now() + 60_000, 10, LEASE_MS)
    expect(JSON.parse(delivery?.payload ?? '{}')).toMatchObject({
      id: 'ev_done',
      type: 'bulk.done',
      data: {
        bulk_id: 'bk_1',
        status: 'done',
        total: 2,
        eligible: 2,
        counts: { sent: 2, queued: 0 },
        finished_at: done?.finished_at,
      },
    })
    expect(await t.store.bulk.listUnfinished()).toEqual([])
    expect(await t.store.bulk.recipients('bk_1', 0, 10)).toEqual([]) // snapshot dropped
  })

  it('cancel stops expansion; pending messages are cancelled, leased ones left to finish', async () => {
    const [a = '', b = '', c = ''] = await contacts(3)
    await newBulk([a, b, c])
    await t.store.bulk.applyChunk(chunk({ from: 0, to: 2, plans: [bulkPlan(a), bulkPlan(b)] }))
    const [leased] = await t.store.outbox.lease(T0, 1, LEASE_MS)
    if (!leased) throw new Error('no job')
    expect(await t.store.bulk.cancel('bk_1', t.fx.now())).toMatchObject({ status: 'cancelled' })
    expect(
      await t.store.bulk.applyChunk(chunk({ from: 2, to: 3, plans: [bulkPlan(c)] })),
    ).toBeNull()
    expect(await t.store.bulk.cancelPending('bk_1', t.fx.now(), T0 + 1, 100)).toBe(1)
    expect(await t.store.bulk.counts('bk_1')).toMatchObject({ sending: 1, cancelled: 1 })
    expect(await t.store.bulk.finish('bk_1', t.fx.now(), [])).toBeNull() // one still in flight
    await sent(leased)
    expect(await t.store.bulk.finish('bk_1', t.fx.now(), [])).toMatchObject({
      status: 'cancelled',
      checked: 2,
    })
    expect(await t.store.bulk.cancel('bk_1', t.fx.now())).toMatchObject({ status: 'cancelled' })
    expect(await t.store.bulk.cancel('bk_nope', t.fx.now())).toBeNull()
  })

  it('commits a chunk without its own fsync and leaves the connection fsyncing for the rest', async () => {
    const db = openDatabase(join(t.dir, 'other.db'))
    migrate(db, MIGRATIONS, '2025-01-01T00:00:00Z')
    const store = createSqliteStore(db, { blobsDir: join(t.dir, 'blobs') })
    const fx = new Fx(store)
    const a = (await fx.contact({ first_name: 'A' })).id
    await store.bulk.create(
      {
        id: 'bk_1',
        channel: 'tg',
        author: { kind: 'app', id: 'shop' },
        spec: {},
        contactIds: [a, a],
        next_due_at: 0,
      },
      fx.now(),
    )
    const plan = fx.outPlan(a)
    plan.message.bulk_id = 'bk_1'
    expect(db.pragma('synchronous', { simple: true })).toBe(2) // FULL
    await store.bulk.applyChunk({
      bulkId: 'bk_1',
      from: 0,
      to: 1,
      plans: [plan],
      skipped: {},
      next_due_at: 0,
      now: fx.now(),
    })
    expect(db.pragma('synchronous', { simple: true })).toBe(2)
    const second = await store.bulk.applyChunk({
      bulkId: 'bk_1',
      from: 1,
      to: 2,
      plans: [],
      skipped: { x: 1 },
      next_due_at: 0,
      now: fx.now(),
    })
    expect(second).toMatchObject({ checked: 2, eligible: 1, skipped: { x: 1 } })
    expect(db.pragma('synchronous', { simple: true })).toBe(2)
    await store.close()
  })

  it('survives a restart: the cursor and counts are on disk', async () => {
    const [a = '', b = ''] = await contacts(2)
    await newBulk([a, b])
    await t.store.bulk.applyChunk(chunk({ from: 0, to: 1, plans: [bulkPlan(a)] }))
    await t.reopen()
    expect(await t.store.bulk.get('bk_1')).toMatchObject({
      checked: 1,
      eligible: 1,
      status: 'running',
    })
    expect(await t.store.bulk.recipients('bk_1', 1, 10)).toEqual([b])
  })

  it('serves its queries from indexes (no table scan, no sort)', async () => {
    const db = openDatabase(':memory:')
    migrate(db, MIGRATIONS, '2025-01-01T00:00:00Z')
    const ids = JSON.stringify(['ct_1', 'ct_2'])
    const cases: [string, unknown[], RegExp][] = [
      [`SELECT * FROM bulks WHERE finished_at IS NULL ORDER BY seq`, [], /bulks_unfinished/],
      [
        `SELECT * FROM identities WHERE contact_id IN (SELECT value FROM json_each(?)) AND +channel = ?`,
        [ids, 'tg'],
        /identities_contact/,
      ],
      [
        `SELECT * FROM threads WHERE contact_id IN (SELECT value FROM json_each(?)) AND status IN ('open', 'snoozed')`,
        [ids],
        /threads_contact/,
      ],
      [
        `SELECT 1 FROM messages WHERE bulk_id = ? AND contact_id = ?`,
        ['bk', 'ct'],
        /messages_bulk/,
      ],
      [
        `SELECT status, count(*) AS n FROM messages WHERE bulk_id = ? GROUP BY status`,
        ['bk'],
        /COVERING INDEX messages_bulk /,
      ],
      [
        `SELECT 1 FROM messages WHERE bulk_id = ? AND status IN ('queued', 'sending') LIMIT 1`,
        ['bk'],
        /COVERING INDEX messages_bulk /,
      ],
      [
        `SELECT o.job_id, m.id FROM messages m JOIN outbox o ON o.message_id = m.id WHERE m.bulk_id = ? AND m.status IN ('queued', 'sending') AND o.lease_until <= ? LIMIT ?`,
        ['bk', T0, 10],
        /messages_bulk[\s\S]*outbox_message/,
      ],
    ]
    for (const [sql, params, index] of cases) {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]
      const details = plan.map((p) => p.detail).join('\n')
      expect(details, sql).toMatch(index)
      expect(details, sql).not.toMatch(
        /SCAN (bulks|identities|threads|messages|outbox)(?! USING)|TEMP B-TREE/,
      )
    }
    db.close()
  })
})
