/**
 * `Store.contacts.recipient`: what a send decides on, read at once (on PostgreSQL five statements
 * in one round trip) — the same records the separate reads give, on both dialects.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTempStore, type TempStore } from './test-fixtures.js'

let t: TempStore
beforeEach(async () => {
  t = await openTempStore()
})
afterEach(() => t.dispose())

describe('contacts.recipient', () => {
  it('reads the contact, its identities, active threads (with tags) and opt-outs together', async () => {
    const c = await t.fx
      .contact({ first_name: "Ana O'Neil", attributes: { note: 'it\'s "quoted" \\ $1' } })
      .identity('tg', '42')
      .identity('sms', '+491701111111')
      .thread('tg', { tags: ['vip', 'billing'] })
      .thread('sms', { status: 'closed' })
      .thread('mail', { status: 'snoozed' })
    for (const channel of ['sms', 'mail']) {
      await t.store.consent.record({
        id: t.fx.id('cs'),
        contactId: c.id,
        channel,
        status: channel === 'sms' ? 'opted_out' : 'opted_in',
        source: { kind: 'api' },
        now: t.fx.now(),
        events: [],
      })
    }
    const read = await t.store.contacts.recipient(c.id)
    expect(read.contact).toEqual(await t.store.contacts.get(c.id))
    expect(read.stored).toBeNull()
    expect(read.contact?.attributes).toEqual({ note: 'it\'s "quoted" \\ $1' })
    expect(read.identities).toEqual(await t.store.identities.listByContact(c.id))
    expect(read.identities.map((i) => i.channel)).toEqual(['tg', 'sms'])
    expect(read.activeThreads).toEqual(await t.store.threads.listActiveByContact(c.id))
    expect(read.activeThreads.map((th) => [th.channel, th.status, th.tags])).toEqual([
      ['mail', 'snoozed', []],
      ['tg', 'open', ['billing', 'vip']],
    ])
    expect(read.optedOut).toEqual(['sms'])
  })

  it('answers no contact for an unknown id, whatever the id holds', async () => {
    const none = { contact: null, stored: null, identities: [], activeThreads: [], optedOut: [] }
    expect(await t.store.contacts.recipient('ct_nobody')).toEqual(none)
    expect(await t.store.contacts.recipient("ct_'; DROP TABLE contacts; --")).toEqual(none)
    const c = await t.fx.contact({ first_name: 'Bo' })
    expect((await t.store.contacts.recipient(c.id)).contact?.first_name).toBe('Bo')
  })

  it('reads the answer stored under an idempotency key with it, contact or not', async () => {
    const c = await t.fx.contact({ first_name: 'Cy' }).identity('tg', '7')
    const plan = t.fx.outPlan(c.id)
    plan.idempotency = { keyId: 'alice', key: "k'1", bodyHash: 'h', status: 202, response: '{}' }
    expect((await t.store.accept(plan)).ok).toBe(true)
    const stored = { bodyHash: 'h', status: 202, response: '{}' }
    expect((await t.store.contacts.recipient(c.id, { keyId: 'alice', key: "k'1" })).stored).toEqual(
      stored,
    )
    expect(
      await t.store.contacts.recipient('ct_gone', { keyId: 'alice', key: "k'1" }),
    ).toMatchObject({ contact: null, stored })
    expect((await t.store.contacts.recipient(c.id, { keyId: 'bob', key: "k'1" })).stored).toBeNull()
    expect((await t.store.contacts.recipient(c.id)).stored).toBeNull()
  })
})

describe('identities.listByContacts', () => {
  it('gives each contact the identities listByContact gives it, in the same order', async () => {
    const a = await t.fx.contact().identity('tg', '1').identity('sms', '+491701111112')
    const b = await t.fx.contact().identity('mail', 'b@example.com')
    const none = await t.fx.contact()
    // Two identities made in the same instant keep the order they were made in.
    const both = await t.store.contacts.create(
      { id: t.fx.id('ct'), first_name: 'Same' },
      [
        { id: t.fx.id('id'), channel: 'tg', address: '77' },
        { id: t.fx.id('id'), channel: 'sms', address: '+491701111113' },
      ],
      t.fx.now(),
    )
    const ids = [b.id, none.id, a.id, both.id, 'ct_unknown']
    const got = await t.store.identities.listByContacts(ids)
    expect([...got.keys()].sort()).toEqual([a.id, b.id, both.id].sort())
    for (const id of [a.id, b.id, both.id])
      expect(got.get(id)).toEqual(await t.store.identities.listByContact(id))
    expect(got.get(both.id)?.map((i) => i.channel)).toEqual(['tg', 'sms'])
    expect(got.get(a.id)?.map((i) => i.channel)).toEqual(['tg', 'sms'])
    expect(await t.store.identities.listByContacts([])).toEqual(new Map())
  })
})
