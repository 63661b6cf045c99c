import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTempStore, type TempStore } from '../test-fixtures.js'
import { StoreConflict, type NewEvent } from '../types.js'

let t: TempStore
beforeEach(async () => {
  t = await openTempStore()
})
afterEach(() => t.dispose())

const ev = (id: string): NewEvent[] => [
  {
    id,
    type: 'thread.closed',
    created_at: '2025-01-01T00:00:00.000Z',
    data: {},
    targets: ['https://a.example'],
  },
]

describe('threads', () => {
  it('refuses a second open thread when single-open, naming the open one', async () => {
    const c = await t.fx.contact({ first_name: 'Ana' }).thread('tg', { assignee: 'bob' })
    const create = () =>
      t.store.threads.create(
        { id: 'th_x', contact_id: c.id, channel: 'mail', assignee: null, tags: [] },
        true,
        'alice',
        t.fx.now(),
        ev('ev_x'),
      )
    await expect(create()).rejects.toThrow(StoreConflict)
    await expect(create()).rejects.toMatchObject({
      code: 'thread_conflict',
      details: { thread: { id: c.threadIds[0], assignee: 'bob' } },
    })
    expect(await t.store.threads.get('th_x')).toBeNull()
    expect(await t.store.webhooks.depth()).toBe(0)
  })

  it('records every action as a thread event with actor and data, and queues app events', async () => {
    const c = await t.fx.contact({ first_name: 'Ana' }).thread('tg', { tags: ['a'] })
    const id = c.threadIds[0] ?? ''
    const s = t.store.threads
    expect((await s.assign(id, 'alice', 'ops', t.fx.now(), []))?.assignee).toBe('alice')
    expect((await s.setTags(id, ['b', 'c'], 'alice', t.fx.now(), []))?.tags).toEqual(['b', 'c'])
    expect(await s.snooze(id, '2025-02-01T00:00:00.000Z', 'alice', t.fx.now(), [])).toMatchObject({
      status: 'snoozed',
      snoozed_until: '2025-02-01T00:00:00.000Z',
    })
    expect(await s.close(id, true, 'alice', t.fx.now(), ev('ev_close'))).toMatchObject({
      status: 'closed',
      assignee: null,
      snoozed_until: null,
    })
    expect(await s.close('th_missing', true, 'alice', t.fx.now(), ev('ev_none'))).toBeNull()
    const events = await s.events(id)
    expect(events.map((e) => [e.type, e.actor])).toEqual([
      ['opened', 'fixture'],
      ['assigned', 'ops'],
      ['tagged', 'alice'],
      ['snoozed', 'alice'],
      ['unassigned', 'alice'],
      ['closed', 'alice'],
    ])
    expect(events[2]?.data).toEqual({ added: ['b', 'c'], removed: ['a'], tags: ['b', 'c'] })
    expect(events.every((e) => e.id.startsWith('te_') && e.contact_id === c.id)).toBe(true)
    expect((await t.store.webhooks.lease(Date.now(), 10, 1000)).map((d) => d.eventId)).toEqual([
      'ev_close',
    ])
  })

  it('wakes snoozed threads that are due, each at its time', async () => {
    const c = await t.fx.contact({ first_name: 'Ana' }).thread('tg').thread('mail')
    const [early, late] = c.threadIds as [string, string]
    await t.store.threads.snooze(early, '2025-03-01T00:00:00.000Z', 'alice', t.fx.now(), [])
    await t.store.threads.snooze(late, '2025-04-01T00:00:00.000Z', 'alice', t.fx.now(), [])
    expect((await t.store.threads.wakeDue('2025-03-15T00:00:00.000Z')).map((x) => x.id)).toEqual([
      early,
    ])
    expect(await t.store.threads.get(early)).toMatchObject({ status: 'open', snoozed_until: null })
    expect((await t.store.threads.events(early)).at(-1)).toMatchObject({
      type: 'woke',
      actor: 'system',
    })
    expect(await t.store.threads.wakeDue('2025-03-31T23:59:59.999Z')).toEqual([])
    const woke = await t.store.threads.wakeDue('2025-04-01T00:00:00.000Z')
    expect(woke.map((x) => [x.id, x.status])).toEqual([[late, 'open']])
  })

  it('lists with filters, newest first, paged', async () => {
    await t.fx.contact({ first_name: 'A' }).thread('tg', { assignee: 'alice' })
    await t.fx.contact({ first_name: 'B' }).thread('tg', { status: 'closed' })
    const c = await t.fx.contact({ first_name: 'C' }).thread('mail')
    const l = async (f: Parameters<typeof t.store.threads.list>[0]) =>
      (await t.store.threads.list(f)).items.map((x) => x.channel + ':' + x.status)
    expect(await l({ limit: 10 })).toEqual(['mail:open', 'tg:closed', 'tg:open'])
    expect(await l({ limit: 10, status: 'open', assignee: 'unassigned' })).toEqual(['mail:open'])
    expect(await l({ limit: 10, assignee: 'alice' })).toEqual(['tg:open'])
    expect(await l({ limit: 10, contact_id: c.id })).toEqual(['mail:open'])
    const p1 = await t.store.threads.list({ limit: 2, channel: 'tg' })
    expect(p1.next_cursor).toBeNull()
    const q1 = await t.store.threads.list({ limit: 2 })
    expect(
      (await t.store.threads.list({ limit: 2, cursor: q1.next_cursor ?? '' })).items,
    ).toHaveLength(1)
  })
})

describe('contacts', () => {
  it('refuses a taken identity or external id and writes nothing', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ana', external_id: 'u1' }).identity('tg', '42'))
      .id
    const c = t.store.contacts
    await expect(
      c.create({ id: 'ct_b' }, [{ id: 'id_b', channel: 'tg', address: '42' }], t.fx.now()),
    ).rejects.toMatchObject({ code: 'identity_taken', details: { contact_id: ana } })
    await expect(c.create({ id: 'ct_c', external_id: 'u1' }, [], t.fx.now())).rejects.toMatchObject(
      { code: 'external_id_taken', details: { contact_id: ana } },
    )
    expect(await c.get('ct_b')).toBeNull()
    expect(await c.get('ct_c')).toBeNull()
    const other = (await t.fx.contact({ first_name: 'Bo' })).id
    await expect(c.update(other, { external_id: 'u1' }, t.fx.now())).rejects.toMatchObject({
      code: 'external_id_taken',
    })
    expect((await c.get(other))?.external_id).toBeNull()
    // Its own external id again is no conflict.
    expect(await c.update(ana, { external_id: 'u1' }, t.fx.now())).toMatchObject({ id: ana })
  })

  it('patches only the given fields', async () => {
    const id = (
      await t.fx.contact({ first_name: 'Ana', last_name: 'Lee', attributes: { plan: 'pro' } })
    ).id
    const now = t.fx.now()
    expect(
      await t.store.contacts.update(id, { blocked: true, last_name: null }, now),
    ).toMatchObject({
      first_name: 'Ana',
      last_name: null,
      blocked: true,
      attributes: { plan: 'pro' },
      updated_at: now,
    })
    expect(await t.store.contacts.update('ct_missing', { blocked: true }, now)).toBeNull()
  })

  it('keeps small settings in kv', async () => {
    expect(await t.store.kv.get('imap', 'uid')).toBeNull()
    await t.store.kv.set('imap', 'uid', '10')
    await t.store.kv.set('imap', 'uid', '11')
    expect(await t.store.kv.get('imap', 'uid')).toBe('11')
  })
})
