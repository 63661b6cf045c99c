import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { testStoreDialect } from '../../../test/helpers/postgres.js'
import { openTempStore, type TempStore } from '../test-fixtures.js'
import { StoreConflict, type AcceptPlan, type NewEvent } from '../types.js'

let t: TempStore
beforeEach(async () => {
  t = await openTempStore()
})
afterEach(() => t.dispose())

function event(id: string, targets = ['https://app.example/events']): NewEvent {
  return {
    id,
    type: 'thread.opened',
    created_at: '2025-01-01T00:00:00.000Z',
    data: { id },
    targets,
  }
}

describe('accept (group commit)', () => {
  it('stores every one of many concurrent accepts: message, outbox job, thread', async () => {
    const contacts: string[] = []
    for (let i = 0; i < 300; i++) contacts.push((await t.fx.contact({ first_name: `C${i}` })).id)
    const plans = contacts.map((id) => t.fx.outPlan(id))
    const outcomes = await Promise.all(plans.map((p) => t.store.accept(p)))
    expect(outcomes.every((o) => o.ok)).toBe(true)
    expect(await t.store.outbox.depth()).toBe(300)
    const first = outcomes[0]
    if (!first?.ok) throw new Error('expected ok')
    const m = await t.store.messages.get(first.messageId)
    expect(m).toMatchObject({
      status: 'queued',
      attempts: 0,
      direction: 'out',
      contact_id: contacts[0],
    })
    expect(m?.status_history.map((h) => h.status)).toEqual(['queued'])
    expect(await t.store.threads.get(first.threadId)).toMatchObject({
      status: 'open',
      assignee: 'alice',
    })
    expect((await t.store.threads.events(first.threadId)).map((e) => e.type)).toEqual(['opened'])
  })

  it('one conflicting plan in a batch does not lose the others', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ana' })).id
    const bob = (await t.fx.contact({ first_name: 'Bob' })).id
    const first = t.fx.outPlan(ana)
    const conflicting = t.fx.outPlan(ana) // a second new thread for Ana: single open thread
    const other = t.fx.outPlan(bob)
    const [a, b, c] = await Promise.all([first, conflicting, other].map((p) => t.store.accept(p)))
    expect(a?.ok).toBe(true)
    expect(c?.ok).toBe(true)
    if (!a?.ok) throw new Error('expected ok')
    expect(b).toEqual({
      ok: false,
      code: 'thread_conflict',
      thread: { id: a.threadId, assignee: 'alice' },
    })
    expect(await t.store.messages.get(conflicting.message.id)).toBeNull()
    expect(await t.store.outbox.depth()).toBe(2)
  })

  it('rejects only the plan that throws; the rest of the batch commits', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ana' }).identity('tg', '42')).id
    const bob = (await t.fx.contact({ first_name: 'Bob' })).id
    const taken = t.fx.outPlan(bob, {
      identity: { create: { id: t.fx.id('id'), channel: 'tg', address: '42' } },
    })
    const good = t.fx.outPlan(ana)
    const results = await Promise.allSettled([t.store.accept(taken), t.store.accept(good)])
    expect(results[0]?.status).toBe('rejected')
    if (results[0]?.status === 'rejected') {
      expect(results[0].reason).toBeInstanceOf(StoreConflict)
      expect((results[0].reason as StoreConflict).code).toBe('identity_taken')
    }
    expect(results[1]).toMatchObject({ status: 'fulfilled', value: { ok: true } })
    expect(await t.store.messages.get(taken.message.id)).toBeNull()
    expect(await t.store.messages.get(good.message.id)).not.toBeNull()
  })

  it('creates contact and identity with the send; a thread conflict rolls both back', async () => {
    const newId = t.fx.id('ct')
    const plan = t.fx.outPlan(newId, {
      contact: { create: { id: newId, first_name: 'Nia', phone: '+4917012345678' } },
      identity: { create: { id: t.fx.id('id'), channel: 'wa', address: '+4917012345678' } },
    })
    expect(await t.store.accept(plan)).toMatchObject({ ok: true, contactId: newId })
    expect((await t.store.identities.find('wa', '+4917012345678'))?.contact_id).toBe(newId)
    expect((await t.store.contacts.search({ q: 'nia', limit: 5 })).items.map((c) => c.id)).toEqual([
      newId,
    ])

    const other = t.fx.id('ct')
    const existing = (await t.store.threads.listActiveByContact(newId))[0]
    // A new identity for a contact that has an open thread: the conflict rolls it all back.
    const again = t.fx.outPlan(newId, {
      identity: { create: { id: t.fx.id('id'), channel: 'wa', address: '+4917099999999' } },
    })
    expect(await t.store.accept(again)).toMatchObject({
      ok: false,
      code: 'thread_conflict',
      thread: { id: existing?.id },
    })
    expect(await t.store.identities.find('wa', '+4917099999999')).toBeNull()
    expect(await t.store.contacts.get(other)).toBeNull()
  })

  it('replays an idempotency key: same stored answer, nothing else written', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ana' })).id
    const idempotency = {
      keyId: 'shop',
      key: 'k-1',
      bodyHash: 'h1',
      status: 202,
      response: '{"id":"msg_1"}',
    }
    const first = t.fx.outPlan(ana, { idempotency })
    const retry = t.fx.outPlan(ana, {
      idempotency: { ...idempotency, bodyHash: 'h2', response: 'other' },
    })
    const [a, b] = await Promise.all([t.store.accept(first), t.store.accept(retry)])
    expect(a?.ok).toBe(true)
    expect(b).toEqual({
      ok: false,
      code: 'idempotency_replay',
      status: 202,
      response: '{"id":"msg_1"}',
      bodyHash: 'h1',
    })
    expect(await t.store.idempotency.get('shop', 'k-1')).toEqual({
      bodyHash: 'h1',
      status: 202,
      response: '{"id":"msg_1"}',
    })
    expect(await t.store.idempotency.get('other-key-id', 'k-1')).toBeNull()
    expect(await t.store.messages.get(retry.message.id)).toBeNull()
    expect(await t.store.outbox.depth()).toBe(1)
  })

  it('re-checks the single open thread inside the transaction (opened since)', async () => {
    const c = await t.fx.contact({ first_name: 'Ana' })
    const plan = t.fx.outPlan(c.id) // built while Ana had no thread
    const opened = { id: t.fx.id('th'), contact_id: c.id, channel: 'mail', assignee: 'bob' }
    await t.store.threads.create({ ...opened, tags: [] }, false, 'bob', t.fx.now(), []) // then someone opened one
    expect(await t.store.accept(plan)).toEqual({
      ok: false,
      code: 'thread_conflict',
      thread: { id: opened.id, assignee: 'bob' },
    })
    const allowed = t.fx.outPlan(c.id)
    // e.g. email: allow_with_open_thread
    if ('create' in allowed.thread) allowed.thread.singleOpen = false
    expect(await t.store.accept(allowed)).toMatchObject({ ok: true })
  })

  it('reopens a closed thread, assigns the sender and adds tags, with events', async () => {
    const c = await t.fx
      .contact({ first_name: 'Ana' })
      .thread('tg', { status: 'closed', assignee: 'bob', tags: ['billing'] })
    const threadId = c.threadIds[0] ?? ''
    const plan = t.fx.outPlan(c.id, {
      thread: { reopen: threadId, assign: 'alice', addTags: ['refund', 'billing'], actor: 'alice' },
    })
    expect(await t.store.accept(plan)).toMatchObject({ ok: true, threadId })
    expect(await t.store.threads.get(threadId)).toMatchObject({
      status: 'open',
      assignee: 'alice',
      closed_at: null,
      tags: ['billing', 'refund'],
    })
    const events = await t.store.threads.events(threadId)
    expect(events.slice(-3).map((e) => [e.type, e.actor])).toEqual([
      ['reopened', 'alice'],
      ['assigned', 'alice'],
      ['tagged', 'alice'],
    ])
    expect(events.at(-1)?.data).toMatchObject({ added: ['refund'] })
  })

  it('reuses an open thread and writes events only for what changed', async () => {
    const c = await t.fx
      .contact({ first_name: 'Ana' })
      .thread('tg', { assignee: 'alice', tags: ['vip'] })
    const threadId = c.threadIds[0] ?? ''
    const before = (await t.store.threads.events(threadId)).length
    await t.store.accept(
      t.fx.outPlan(c.id, {
        thread: { reuse: threadId, assign: 'alice', addTags: ['vip'], actor: 'alice' },
      }),
    )
    expect(await t.store.threads.events(threadId)).toHaveLength(before)
    await t.store.accept(
      t.fx.outPlan(c.id, {
        thread: { reuse: threadId, assign: 'carol', addTags: [], actor: 'carol' },
      }),
    )
    expect((await t.store.threads.events(threadId)).map((e) => e.type).slice(before)).toEqual([
      'assigned',
    ])
    expect((await t.store.messages.listByThread(threadId, 10)).items).toHaveLength(2)
  })

  it('writes attachments, job and events with the message; none if rolled back', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ana' })).id
    const { sha256, size } = await t.store.blobs.put(Buffer.from('pdf'))
    const attId = t.fx.id('att')
    const ok: AcceptPlan = t.fx.outPlan(ana, {
      attachments: [
        { id: attId, sha256, filename: 'a.pdf', content_type: 'application/pdf', size },
      ],
      events: [event('ev_ok', ['https://a.example/e', 'https://b.example/e'])],
    })
    const conflict = t.fx.outPlan(ana, { events: [event('ev_rolled_back')] })
    await Promise.all([t.store.accept(ok), t.store.accept(conflict)])
    expect((await t.store.messages.get(ok.message.id))?.attachments).toEqual([
      expect.objectContaining({ id: attId, sha256, filename: 'a.pdf', message_id: ok.message.id }),
    ])
    expect((await t.store.attachments.get(attId))?.size).toBe(3)
    const deliveries = await t.store.webhooks.lease(Date.now() + 1, 10, 30_000)
    expect(deliveries.map((d) => [d.eventId, d.target]).sort()).toEqual([
      ['ev_ok', 'https://a.example/e'],
      ['ev_ok', 'https://b.example/e'],
    ])
    expect(JSON.parse(deliveries[0]?.payload ?? '{}')).toMatchObject({
      id: 'ev_ok',
      type: 'thread.opened',
    })
  })

  it('moves the contact to the top of "newest activity"', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ana' })).id
    const bob = (await t.fx.contact({ first_name: 'Bob' })).id
    expect((await t.store.contacts.search({ limit: 2 })).items.map((c) => c.id)).toEqual([bob, ana])
    const plan = t.fx.outPlan(ana)
    await t.store.accept(plan)
    expect((await t.store.contacts.search({ limit: 2 })).items.map((c) => c.id)).toEqual([ana, bob])
    expect((await t.store.contacts.get(ana))?.last_activity_at).toBe(plan.now)
  })

  it('keeps search in step when one batch creates, moves and re-moves contacts', async () => {
    const [x, y, z] = [
      (await t.fx.contact({ last_name: 'Batch', first_name: 'Xena' })).id,
      (await t.fx.contact({ last_name: 'Batch', first_name: 'Yara' })).id,
      (await t.fx.contact({ last_name: 'Batch', first_name: 'Zoe' })).id,
    ]
    if (!x || !y || !z) throw new Error('fixture')
    const newId = t.fx.id('ct')
    const again = (id: string) => {
      const p = t.fx.outPlan(id)
      if ('create' in p.thread) p.thread.singleOpen = false
      return p
    }
    const plans = [again(x), again(newId), again(x), again(y)].map((p, i) =>
      i === 1 ? { ...p, contact: { create: { id: newId, last_name: 'Batch' } } } : p,
    )
    // SQLite commits a turn's accepts as one batch, in arrival order. PostgreSQL has no batch:
    // concurrent accepts commit in whatever order their transactions finish, and "newest first"
    // among sends of the same instant is not a promise. There the same moves run one by one.
    if (testStoreDialect() === 'sqlite') await Promise.all(plans.map((p) => t.store.accept(p)))
    else for (const p of plans) await t.store.accept(p)
    const order = [y, x, newId, z]
    expect(
      (await t.store.contacts.search({ q: 'batch', limit: 10 })).items.map((c) => c.id),
    ).toEqual(order)
    expect((await t.store.contacts.search({ limit: 10 })).items.map((c) => c.id)).toEqual(order)
    expect((await t.store.contacts.search({ q: 'xen', limit: 10 })).items.map((c) => c.id)).toEqual(
      [x],
    )
    expect(await t.store.integrityCheck()).toBe('ok')
  })

  it('a plan failing after its contact moved leaves the search index as it was', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ana' })).id
    const bob = (await t.fx.contact({ first_name: 'Bob' })).id
    // A malformed event list makes the plan throw at its last step, after the recency move.
    const broken = t.fx.outPlan(ana, {
      events: [{ ...event('ev_x'), targets: 42 as unknown as string[] }],
    })
    const results = await Promise.allSettled([
      t.store.accept(broken),
      t.store.accept(t.fx.outPlan(bob)),
    ])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled'])
    expect((await t.store.contacts.search({ q: 'a', limit: 10 })).items.map((c) => c.id)).toEqual([
      ana,
    ])
    expect((await t.store.contacts.search({ limit: 10 })).items.map((c) => c.id)).toEqual([
      bob,
      ana,
    ])
    await t.store.accept(t.fx.outPlan(ana))
    expect((await t.store.contacts.search({ q: 'ana', limit: 10 })).items.map((c) => c.id)).toEqual(
      [ana],
    )
    expect((await t.store.contacts.search({ limit: 10 })).items.map((c) => c.id)).toEqual([
      ana,
      bob,
    ])
  })

  it('commits pending accepts on close and refuses new ones after', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ana' })).id
    const pending = t.store.accept(t.fx.outPlan(ana))
    await t.store.close()
    expect(await pending).toMatchObject({ ok: true })
    await expect(t.store.accept(t.fx.outPlan(ana))).rejects.toThrow(/closed/)
    await t.reopen()
    expect(await t.store.outbox.depth()).toBe(1)
  })
})

describe('accept: the contact version guard (sends to one person decided one at a time)', () => {
  it('answers stale and writes nothing when the contact moved since its facts were read', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ana' })).id
    const read = await t.store.contacts.get(ana)
    const version = read?.version ?? -1
    // Both decided on the same facts (no thread yet): each would open a thread.
    const first = t.fx.outPlan(ana, { contact: { existing: ana, version } })
    const second = t.fx.outPlan(ana, { contact: { existing: ana, version } })
    const [a, b] = await Promise.all([t.store.accept(first), t.store.accept(second)])
    expect(a).toMatchObject({ ok: true })
    expect(b).toEqual({ ok: false, code: 'stale' })
    expect(await t.store.messages.get(second.message.id)).toBeNull()
    expect(await t.store.outbox.depth()).toBe(1)
    // Decided again on fresh facts, it goes into the thread the first one opened.
    const now = await t.store.contacts.get(ana)
    expect(now?.version).toBeGreaterThan(version)
    if (!a.ok) throw new Error('expected ok')
    const again = t.fx.outPlan(ana, {
      contact: { existing: ana, version: now?.version ?? -1 },
      thread: { reuse: a.threadId, assign: null, addTags: [], actor: 'alice' },
    })
    expect(await t.store.accept(again)).toMatchObject({ ok: true, threadId: a.threadId })
  })

  it('moves the version on every change of where a send lands, not on a plain send', async () => {
    const c = await t.fx.contact({ first_name: 'Ana' }).thread('tg')
    const version = async () => (await t.store.contacts.get(c.id))?.version ?? -1
    const threadId = c.threadIds[0] ?? ''
    let v = await version()
    const reuse = () =>
      t.fx.outPlan(c.id, { thread: { reuse: threadId, assign: null, addTags: [], actor: 'a' } })
    await t.store.accept(reuse())
    expect(await version()).toBe(v) // a send into the open thread changes nothing
    for (const change of [
      () => t.store.threads.snooze(threadId, '2099-01-01T00:00:00.000Z', 'a', t.fx.now(), []),
      () => t.store.threads.wakeDue('2100-01-01T00:00:00.000Z'),
      () => t.store.threads.close(threadId, false, 'a', t.fx.now(), []),
      () => t.store.accept(reuse()), // reopens the closed thread
    ]) {
      await change()
      expect(await version()).toBeGreaterThan(v)
      v = await version()
    }
  })

  it('two first sends to the same new address: one creates the contact, the other is stale', async () => {
    const plan = () => {
      const id = t.fx.id('ct')
      return t.fx.outPlan(id, {
        contact: { create: { id, first_name: 'Nia' } },
        identity: { create: { id: t.fx.id('id'), channel: 'tg', address: '777' } },
      })
    }
    const [a, b] = await Promise.all([t.store.accept(plan()), t.store.accept(plan())])
    expect(a).toMatchObject({ ok: true })
    expect(b).toEqual({ ok: false, code: 'stale' })
    expect((await t.store.contacts.search({ q: 'nia', limit: 5 })).items).toHaveLength(1)
  })
})
