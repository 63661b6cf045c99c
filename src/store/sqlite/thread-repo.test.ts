import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTempStore, type TempStore } from '../test-fixtures.js'
import { StoreConflict, type NewEvent } from '../types.js'

let t: TempStore
beforeEach(() => {
  t = openTempStore()
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
  it('refuses a second open thread when single-open, naming the open one', () => {
    const c = t.fx.contact({ first_name: 'Ana' }).thread('tg', { assignee: 'bob' })
    const create = () =>
      t.store.threads.create(
        { id: 'th_x', contact_id: c.id, channel: 'mail', assignee: null, tags: [] },
        true,
        'alice',
        t.fx.now(),
        ev('ev_x'),
      )
    expect(create).toThrow(StoreConflict)
    try {
      create()
    } catch (e) {
      expect(e).toMatchObject({
        code: 'thread_conflict',
        details: { thread: { id: c.threadIds[0], assignee: 'bob' } },
      })
    }
    expect(t.store.threads.get('th_x')).toBeNull()
    expect(t.store.webhooks.depth()).toBe(0)
  })

  it('records every action as a thread event with actor and data, and queues app events', () => {
    const c = t.fx.contact({ first_name: 'Ana' }).thread('tg', { tags: ['a'] })
    const id = c.threadIds[0] ?? ''
    const s = t.store.threads
    expect(s.assign(id, 'alice', 'ops', t.fx.now(), [])?.assignee).toBe('alice')
    expect(s.setTags(id, ['b', 'c'], 'alice', t.fx.now(), [])?.tags).toEqual(['b', 'c'])
    expect(s.snooze(id, '2025-02-01T00:00:00.000Z', 'alice', t.fx.now(), [])).toMatchObject({
      status: 'snoozed',
      snoozed_until: '2025-02-01T00:00:00.000Z',
    })
    expect(s.close(id, true, 'alice', t.fx.now(), ev('ev_close'))).toMatchObject({
      status: 'closed',
      assignee: null,
      snoozed_until: null,
    })
    expect(s.close('th_missing', true, 'alice', t.fx.now(), ev('ev_none'))).toBeNull()
    const events = s.events(id)
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
    expect(t.store.webhooks.lease(Date.now(), 10, 1000).map((d) => d.eventId)).toEqual(['ev_close'])
  })

  it('wakes snoozed threads that are due and says when the next one is', () => {
    const c = t.fx.contact({ first_name: 'Ana' }).thread('tg').thread('mail')
    const [early, late] = c.threadIds as [string, string]
    t.store.threads.snooze(early, '2025-03-01T00:00:00.000Z', 'alice', t.fx.now(), [])
    t.store.threads.snooze(late, '2025-04-01T00:00:00.000Z', 'alice', t.fx.now(), [])
    expect(t.store.threads.nextWake()).toBe('2025-03-01T00:00:00.000Z')
    expect(t.store.threads.wakeDue('2025-03-15T00:00:00.000Z').map((x) => x.id)).toEqual([early])
    expect(t.store.threads.get(early)).toMatchObject({ status: 'open', snoozed_until: null })
    expect(t.store.threads.events(early).at(-1)).toMatchObject({ type: 'woke', actor: 'system' })
    expect(t.store.threads.nextWake()).toBe('2025-04-01T00:00:00.000Z')
  })

  it('lists with filters, newest first, paged', () => {
    t.fx.contact({ first_name: 'A' }).thread('tg', { assignee: 'alice' })
    t.fx.contact({ first_name: 'B' }).thread('tg', { status: 'closed' })
    const c = t.fx.contact({ first_name: 'C' }).thread('mail')
    const l = (f: Parameters<typeof t.store.threads.list>[0]) =>
      t.store.threads.list(f).items.map((x) => x.channel + ':' + x.status)
    expect(l({ limit: 10 })).toEqual(['mail:open', 'tg:closed', 'tg:open'])
    expect(l({ limit: 10, status: 'open', assignee: 'unassigned' })).toEqual(['mail:open'])
    expect(l({ limit: 10, assignee: 'alice' })).toEqual(['tg:open'])
    expect(l({ limit: 10, contact_id: c.id })).toEqual(['mail:open'])
    const p1 = t.store.threads.list({ limit: 2, channel: 'tg' })
    expect(p1.next_cursor).toBeNull()
    const q1 = t.store.threads.list({ limit: 2 })
    expect(t.store.threads.list({ limit: 2, cursor: q1.next_cursor ?? '' }).items).toHaveLength(1)
  })
})

describe('contacts', () => {
  it('refuses a taken identity or external id and writes nothing', () => {
    const _ana = t.fx.contact({ first_name: 'Ana', external_id: 'u1' }).identity('tg', '42').id
    const c = t.store.contacts
    expect(() =>
      c.create({ id: 'ct_b' }, [{ id: 'id_b', channel: 'tg', address: '42' }], t.fx.now()),
    ).toThrow(expect.objectContaining({ code: 'identity_taken' }))
    expect(() => c.create({ id: 'ct_c', external_id: 'u1' }, [], t.fx.now())).toThrow(
      expect.objectContaining({ code: 'external_id_taken' }),
    )
    expect(c.get('ct_b')).toBeNull()
    const other = t.fx.contact({ first_name: 'Bo' }).id
    expect(() => c.update(other, { external_id: 'u1' }, t.fx.now())).toThrow(
      expect.objectContaining({ code: 'external_id_taken' }),
    )
  })

  it('patches only the given fields', () => {
    const id = t.fx.contact({ first_name: 'Ana', last_name: 'Lee', attributes: { plan: 'pro' } }).id
    const now = t.fx.now()
    expect(t.store.contacts.update(id, { blocked: true, last_name: null }, now)).toMatchObject({
      first_name: 'Ana',
      last_name: null,
      blocked: true,
      attributes: { plan: 'pro' },
      updated_at: now,
    })
    expect(t.store.contacts.update('ct_missing', { blocked: true }, now)).toBeNull()
  })

  it('keeps small settings in kv', () => {
    expect(t.store.kv.get('imap', 'uid')).toBeNull()
    t.store.kv.set('imap', 'uid', '10')
    t.store.kv.set('imap', 'uid', '11')
    expect(t.store.kv.get('imap', 'uid')).toBe('11')
  })
})
