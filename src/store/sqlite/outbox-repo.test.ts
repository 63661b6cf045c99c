import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { canAdvance } from '../core/message-status.js'
import { openTempStore, type TempStore } from '../test-fixtures.js'
import type { MessageStatus } from '../types.js'
import { migrate } from './migrate.js'
import { MIGRATIONS } from './migrations/index.js'
import { LEASE_SQL, NEXT_DUE_SQL } from './outbox-repo.js'
import { WEBHOOK_LEASE_SQL } from './webhook-repo.js'
import { openDatabase } from './open-database.js'

let t: TempStore
beforeEach(async () => {
  t = await openTempStore()
})
afterEach(() => t.dispose())

const T0 = Date.parse('2025-06-01T00:00:00.000Z')
const LEASE_MS = 30_000

/** Queues `n` messages (one contact each) due at `dueAt`; returns their ids in order. */
async function enqueue(n: number, dueAt = T0): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const contactId = (await t.fx.contact({ first_name: `C${i}` })).id
    const o = await t.store.accept(
      t.fx.outPlan(contactId, { outbox: { dueAt: dueAt + i, recipientKey: `tg:${i}` } }),
    )
    if (!o.ok) throw new Error('accept failed')
    ids.push(o.messageId)
  }
  return ids
}

describe('outbox', () => {
  it('leases due jobs in batches, oldest due first, and marks their messages sending', async () => {
    const ids = await enqueue(5)
    const first = await t.store.outbox.lease(T0 + 10, 3, LEASE_MS)
    expect(first.map((j) => j.messageId)).toEqual(ids.slice(0, 3))
    expect(first[0]).toMatchObject({ channel: 'tg', recipientKey: 'tg:0', attempts: 0, dueAt: T0 })
    expect((await t.store.outbox.lease(T0 + 10, 10, LEASE_MS)).map((j) => j.messageId)).toEqual(
      ids.slice(3),
    )
    expect(await t.store.outbox.lease(T0 + 10, 10, LEASE_MS)).toEqual([]) // all under lease
    expect((await t.store.messages.get(ids[0] ?? ''))?.status).toBe('sending')
    expect(await t.store.outbox.depth()).toBe(5)
  })

  it('does not lease jobs before they are due', async () => {
    await enqueue(2, T0 + 60_000)
    expect(await t.store.outbox.lease(T0, 10, LEASE_MS)).toEqual([])
    expect(await t.store.outbox.nextDue()).toBe(T0 + 60_000)
  })

  it('makes a job due again when its lease expires (a crashed dispatcher)', async () => {
    const [id] = await enqueue(1)
    const [job] = await t.store.outbox.lease(T0, 10, LEASE_MS)
    expect(await t.store.outbox.nextDue()).toBe(T0 + LEASE_MS)
    await t.reopen() // restart: no recovery step
    expect(await t.store.outbox.lease(T0 + LEASE_MS - 1, 10, LEASE_MS)).toEqual([])
    const again = await t.store.outbox.lease(T0 + LEASE_MS, 10, LEASE_MS)
    expect(again.map((j) => j.jobId)).toEqual([job?.jobId])
    expect((await t.store.messages.get(id ?? ''))?.status_history.map((h) => h.status)).toEqual([
      'queued',
      'sending',
    ])
  })

  it('complete: message sent with its platform id, job gone, events queued', async () => {
    const [id = ''] = await enqueue(1)
    const [job] = await t.store.outbox.lease(T0, 10, LEASE_MS)
    if (!job) throw new Error('no job')
    const events = [
      {
        id: 'ev_sent',
        type: 'message.status',
        created_at: '2025-06-01T00:00:01.000Z',
        data: {},
        targets: ['https://a.example'],
      },
    ]
    await t.store.outbox.record([
      {
        kind: 'sent',
        jobId: job.jobId,
        messageId: id,
        at: '2025-06-01T00:00:01.000Z',
        events,
        platformMessageId: 'tg-9',
        possibleDuplicate: false,
      },
    ])
    expect(await t.store.messages.get(id)).toMatchObject({
      status: 'sent',
      platform_message_id: 'tg-9',
      attempts: 1,
      error: null,
    })
    expect(await t.store.outbox.depth()).toBe(0)
    expect(await t.store.outbox.nextDue()).toBeNull()
    expect(await t.store.webhooks.depth()).toBe(1)
  })

  it('retry: due later, attempt counted; the message keeps its status and the error', async () => {
    const [id = ''] = await enqueue(1)
    const [job] = await t.store.outbox.lease(T0, 10, LEASE_MS)
    if (!job) throw new Error('no job')
    await t.store.outbox.record([
      {
        kind: 'retry',
        jobId: job.jobId,
        messageId: id,
        dueAtMs: T0 + 5000,
        error: { code: 'rate_limited', message: '429' },
        possibleDuplicate: true,
      },
    ])
    expect(await t.store.messages.get(id)).toMatchObject({
      status: 'sending',
      attempts: 1,
      possible_duplicate: true,
      error: { code: 'rate_limited' },
    })
    expect(await t.store.outbox.lease(T0 + 4999, 10, LEASE_MS)).toEqual([])
    const [again] = await t.store.outbox.lease(T0 + 5000, 10, LEASE_MS)
    expect(again).toMatchObject({ jobId: job.jobId, attempts: 1 })
    await t.store.outbox.record([
      {
        kind: 'failed',
        jobId: job.jobId,
        messageId: id,
        at: '2025-06-01T00:01:00.000Z',
        events: [],
        error: { code: 'rejected', message: '400' },
      },
    ])
    expect(await t.store.messages.get(id)).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: { code: 'rejected', message: '400' },
    })
    expect(await t.store.outbox.depth()).toBe(0)
  })

  it('release: back in the queue without counting an attempt', async () => {
    await enqueue(1)
    const [job] = await t.store.outbox.lease(T0, 10, LEASE_MS)
    if (!job) throw new Error('no job')
    await t.store.outbox.record([{ kind: 'released', jobId: job.jobId, dueAtMs: T0 + 100 }])
    expect(await t.store.outbox.lease(T0 + 100, 10, LEASE_MS)).toMatchObject([
      { jobId: job.jobId, attempts: 0 },
    ])
  })

  it('cancel: only jobs not under a live lease; their messages become cancelled', async () => {
    const [a = '', b = '', c = ''] = await enqueue(3)
    await t.store.outbox.lease(T0, 1, LEASE_MS) // a is being sent
    expect(await t.store.outbox.cancel([a, b, c, b], '2025-06-01T00:00:01.000Z')).toBe(2)
    expect((await t.store.messages.get(a))?.status).toBe('sending')
    expect(await t.store.messages.get(b)).toMatchObject({ status: 'cancelled' })
    expect(await t.store.outbox.depth()).toBe(1)
  })

  it('leases a bulk job with its bulk id, and cancels it under the lease when that bulk is', async () => {
    const [single = ''] = await enqueue(1)
    const plan = t.fx.outPlan((await t.fx.contact()).id, {
      outbox: { dueAt: T0, recipientKey: 'tg:b' },
    })
    plan.message.bulk_id = 'bk_1'
    const o = await t.store.accept(plan)
    if (!o.ok) throw new Error('accept failed')
    const jobs = await t.store.outbox.lease(T0 + 10, 10, LEASE_MS)
    expect(jobs.map((j) => [j.messageId, j.bulkId])).toEqual([
      [single, null],
      [o.messageId, 'bk_1'],
    ])
    const [, bulkJob] = jobs
    await t.store.outbox.record([
      {
        kind: 'cancelled',
        jobId: bulkJob?.jobId ?? 0,
        messageId: o.messageId,
        at: '2025-06-01T00:00:01.000Z',
      },
    ])
    expect(await t.store.messages.get(o.messageId)).toMatchObject({ status: 'cancelled' })
    expect((await t.store.messages.get(single))?.status).toBe('sending')
    expect(await t.store.outbox.depth()).toBe(1)
  })

  it('serves the lease and next-due queries from the ready index (no table scan, no sort)', () => {
    const db = openDatabase(':memory:')
    migrate(db, MIGRATIONS, '2025-01-01T00:00:00Z')
    const cases: [string, string, unknown[]][] = [
      ['outbox', LEASE_SQL, [T0 + LEASE_MS, 1, T0, 100]],
      ['outbox', NEXT_DUE_SQL, []],
      ['webhook_outbox', WEBHOOK_LEASE_SQL, [T0 + LEASE_MS, T0, 100]],
    ]
    for (const [table, sql, params] of cases) {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]
      const details = plan.map((p) => p.detail).join('\n')
      expect(details).toMatch(
        new RegExp(`(SEARCH|SCAN) ${table} USING (COVERING )?INDEX ${table}_ready`),
      )
      expect(details).not.toMatch(new RegExp(`SCAN ${table}(?! USING)|TEMP B-TREE`))
    }
    db.close()
  })
})

describe('webhook queue', () => {
  const event = (id: string, targets: string[]) => ({
    id,
    type: 'thread.closed',
    created_at: new Date(T0).toISOString(),
    data: { n: 1 },
    targets,
  })

  it('leases deliveries, retries later, drops done ones and keeps failed ones as dead letters', async () => {
    const id = (await t.fx.contact({ first_name: 'A' }).thread('tg')).threadIds[0] ?? ''
    await t.store.threads.close(id, false, 'a', t.fx.now(), [
      event('ev_1', ['https://a.example', 'https://b.example']),
      event('ev_2', []),
    ])
    expect(await t.store.webhooks.depth()).toBe(2)
    const [d1, d2] = await t.store.webhooks.lease(T0, 10, LEASE_MS)
    if (!d1 || !d2) throw new Error('expected two deliveries')
    expect(JSON.parse(d1.payload)).toEqual({
      id: 'ev_1',
      type: 'thread.closed',
      created_at: new Date(T0).toISOString(),
      data: { n: 1 },
    })
    expect(await t.store.webhooks.lease(T0, 10, LEASE_MS)).toEqual([])
    await t.store.webhooks.record([
      { kind: 'retry', id: d1.id, dueAtMs: T0 + 1000 },
      { kind: 'done', id: d2.id },
    ])
    expect(await t.store.webhooks.lease(T0 + 999, 10, LEASE_MS)).toEqual([])
    const [again] = await t.store.webhooks.lease(T0 + 1000, 10, LEASE_MS)
    expect(again).toMatchObject({ id: d1.id, attempts: 1, target: d1.target })
    await t.store.webhooks.record([
      { kind: 'failed', id: d1.id, at: '2025-01-01T00:00:00.000Z', error: 'HTTP 500' },
    ])
    expect(await t.store.webhooks.depth()).toBe(0)
    // Given up: kept as a dead letter, its last try counted, and replayable once.
    const dead = await t.store.webhooks.deadLetters(10)
    expect(dead.items).toEqual([
      {
        id: expect.any(Number),
        eventId: d1.eventId,
        target: d1.target,
        payload: d1.payload,
        attempts: 2,
        error: 'HTTP 500',
        failedAt: '2025-01-01T00:00:00.000Z',
      },
    ])
    const deadId = dead.items[0]!.id
    expect(await t.store.webhooks.replay(deadId, T0)).toMatchObject({ eventId: d1.eventId })
    expect(await t.store.webhooks.replay(deadId, T0)).toBeNull()
    expect((await t.store.webhooks.deadLetters(10)).items).toEqual([])
    const [fresh] = await t.store.webhooks.lease(T0, 10, LEASE_MS)
    expect(fresh).toMatchObject({ eventId: d1.eventId, attempts: 0, payload: d1.payload })
    await t.store.webhooks.record([{ kind: 'done', id: fresh!.id }])
    expect(await t.store.webhooks.depth()).toBe(0)
    // Expired lease: due again.
    await t.store.threads.close(id, false, 'a', t.fx.now(), [event('ev_3', ['https://a.example'])])
    await t.store.webhooks.lease(T0, 10, LEASE_MS)
    expect(
      (await t.store.webhooks.lease(T0 + LEASE_MS, 10, LEASE_MS)).map((d) => d.eventId),
    ).toEqual(['ev_3'])
  })
})

describe('outcomes follow the forward-only rule of the core', () => {
  const STATUSES: MessageStatus[] = [
    'queued',
    'sending',
    'sent',
    'delivered',
    'read',
    'failed',
    'cancelled',
  ]

  /** A message in `status` with its job still there (as a late outcome finds it). */
  async function messageIn(status: MessageStatus): Promise<{ id: string; jobId: number }> {
    const [id = ''] = await enqueue(1)
    const at = '2025-06-01T00:00:00.500Z'
    if (status !== 'queued') {
      const [job] = await t.store.outbox.lease(T0 + 10, 10, LEASE_MS) // → sending
      if (!job) throw new Error('no job')
      if (status !== 'sending') await t.store.messages.advance(id, status, at, {}, [])
      return { id, jobId: job.jobId }
    }
    return { id, jobId: 0 }
  }

  it('sent, failed and cancelled move a message exactly where canAdvance allows', async () => {
    for (const from of STATUSES) {
      for (const to of ['sent', 'failed', 'cancelled'] as const) {
        const m = await messageIn(from)
        expect((await t.store.messages.get(m.id))?.status).toBe(from)
        const at = '2025-06-01T00:00:01.000Z'
        const common = { jobId: m.jobId, messageId: m.id, at }
        await t.store.outbox.record([
          to === 'sent'
            ? {
                kind: 'sent',
                ...common,
                platformMessageId: null,
                possibleDuplicate: false,
                events: [],
              }
            : to === 'failed'
              ? { kind: 'failed', ...common, error: { code: 'x', message: 'x' }, events: [] }
              : { kind: 'cancelled', ...common },
        ])
        const now = (await t.store.messages.get(m.id))?.status
        expect(now, `${from} → ${to}`).toBe(canAdvance(from, to) ? to : from)
        // Leave no job behind for the next case's lease.
        await t.store.outbox.cancel([m.id], at)
        await t.store.outbox.record([{ kind: 'cancelled', ...common }])
      }
    }
  })

  it('records many sent outcomes with others in one call, each message as it should be', async () => {
    const ids = await enqueue(5)
    const jobs = await t.store.outbox.lease(T0 + 10, 10, LEASE_MS)
    expect(jobs).toHaveLength(5)
    const at = '2025-06-01T00:00:01.000Z'
    const error = { code: 'http_503', message: 'busy' }
    const sent = jobs.slice(0, 3).map((j, i) => ({
      kind: 'sent' as const,
      jobId: j.jobId,
      messageId: j.messageId,
      at,
      platformMessageId: i === 0 ? null : `pm-${i}`,
      possibleDuplicate: i === 2,
      events: [
        { id: `ev_${i}`, type: 'message.status', created_at: at, data: {}, targets: ['https://a'] },
      ],
    }))
    const [j3, j4] = jobs.slice(3)
    if (!j3 || !j4) throw new Error('no jobs')
    const result = await t.store.outbox.record([
      sent[0]!,
      {
        kind: 'retry',
        jobId: j3.jobId,
        messageId: j3.messageId,
        dueAtMs: T0 + 5000,
        error,
        possibleDuplicate: false,
      },
      sent[1]!,
      { kind: 'released', jobId: j4.jobId, dueAtMs: T0 + 100 },
      sent[2]!,
    ])
    expect(result.rejected).toEqual([])
    for (const [i, id] of ids.slice(0, 3).entries()) {
      expect(await t.store.messages.get(id)).toMatchObject({
        status: 'sent',
        platform_message_id: i === 0 ? null : `pm-${i}`,
        possible_duplicate: i === 2,
        attempts: 1,
      })
    }
    expect(await t.store.messages.get(ids[3] ?? '')).toMatchObject({
      status: 'sending',
      attempts: 1,
    })
    expect(await t.store.outbox.depth()).toBe(2)
    expect(await t.store.webhooks.depth()).toBe(3)
  })

  it('a lease that reads the messages carries each as stored, marked sending, with its contact’s name', async () => {
    const ids = await enqueue(3)
    const jobs = await t.store.outbox.lease(T0 + 10, 10, LEASE_MS)
    expect(jobs.map((j) => j.messageId)).toEqual(ids)
    // Both stores read the batch's messages with the lease (one statement each, not one a job).
    expect(jobs.every((j) => j.message)).toBe(true)
    expect(jobs.every((j) => j.contact)).toBe(true)
    for (const j of jobs) {
      expect(j.message).toEqual(await t.store.messages.get(j.messageId))
      expect(j.message?.status).toBe('sending')
      const c = await t.store.contacts.get(j.message?.contact_id ?? '')
      expect(j.contact).toEqual({ first_name: c?.first_name, last_name: c?.last_name })
    }
  })

  it('records a tick in one call; an outcome that cannot be recorded comes back alone', async () => {
    const [a = '', b = ''] = await enqueue(2)
    const [ja, jb] = await t.store.outbox.lease(T0 + 10, 10, LEASE_MS)
    if (!ja || !jb) throw new Error('no jobs')
    const at = '2025-06-01T00:00:01.000Z'
    const broken = {
      kind: 'sent' as const,
      jobId: ja.jobId,
      messageId: a,
      at,
      platformMessageId: 'pm-a',
      possibleDuplicate: false,
      // A malformed target list: the outcome's last step throws.
      events: [
        { id: 'ev', type: 't', created_at: at, data: {}, targets: 42 as unknown as string[] },
      ],
    }
    const result = await t.store.outbox.record([
      broken,
      {
        kind: 'sent',
        jobId: jb.jobId,
        messageId: b,
        at,
        platformMessageId: 'pm-b',
        possibleDuplicate: false,
        events: [],
      },
    ])
    expect(result.rejected.map((r) => r.outcome)).toEqual([broken])
    // Undone whole: the job is still there (its lease expires and it is sent again).
    expect((await t.store.messages.get(a))?.status).toBe('sending')
    expect(await t.store.messages.get(b)).toMatchObject({
      status: 'sent',
      platform_message_id: 'pm-b',
    })
    expect(await t.store.outbox.depth()).toBe(1)
  })

  it('a failed outcome can mark the identity unreachable in the same transaction', async () => {
    const c = await t.fx.contact({ first_name: 'U' }).identity('tg', '42')
    const o = await t.store.accept(
      t.fx.outPlan(c.id, { outbox: { dueAt: T0, recipientKey: 'tg:42' } }),
    )
    if (!o.ok) throw new Error('accept failed')
    const [job] = await t.store.outbox.lease(T0 + 10, 10, LEASE_MS)
    await t.store.outbox.record([
      {
        kind: 'failed',
        jobId: job?.jobId ?? 0,
        messageId: o.messageId,
        at: '2025-06-01T00:00:01.000Z',
        error: { code: 'blocked', message: 'the person blocked the bot' },
        events: [],
        unreachable: { channel: 'tg', address: '42' },
      },
    ])
    expect((await t.store.identities.find('tg', '42'))?.reachable).toBe(false)
    expect((await t.store.messages.get(o.messageId))?.status).toBe('failed')
  })
})
