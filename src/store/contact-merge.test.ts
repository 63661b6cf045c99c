/**
 * `Store.contacts.merge` (DESIGN §15) on the dialect under test (OMNIGATE_TEST_STORE): what moves,
 * what wins, the clash of active threads, the guard against a plan made on other threads, chains,
 * search, erasure of a survivor, and a send planned for a merged contact.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mergeClashes } from './core/merge.js'
import { openTempStore, type TempStore } from './test-fixtures.js'
import type { ContactMerge, Store } from './types.js'

let t: TempStore
let store: Store

beforeEach(async () => {
  t = await openTempStore()
  store = t.store
})
afterEach(async () => {
  await t.dispose()
})

/** A merge planned as the gateway plans it: the clashes of the active threads right now. */
async function plan(into: string, from: string[]): Promise<ContactMerge> {
  const active = []
  for (const id of [into, ...from]) active.push(...(await store.threads.listActiveByContact(id)))
  const closes = mergeClashes(active).map((c) => ({ ...c, events: [] }))
  return { into, from, now: t.fx.now(), actor: 'ops', closes, events: [] }
}

const ids = (page: { items: { id: string }[] }) => page.items.map((c) => c.id)

describe('contacts.merge', () => {
  it('moves identities, threads, messages, events and consent; the target’s fields win', async () => {
    const ana = await t.fx
      .contact({ first_name: 'Ana', email: 'ana@example.com', attributes: { plan: 'pro' } })
      .identity('tg', '1')
      .wrote('tg', '1')
    const dup = await t.fx
      .contact({
        first_name: 'Anna',
        last_name: 'Quarzo',
        email: 'anna.q@work.example',
        phone: '+491702222222',
        timezone: 'Europe/Berlin',
        external_id: 'crm-7',
        attributes: { plan: 'free', city: 'Porto' },
        blocked: true,
      })
      .identity('sms', '+491702222222')
      .wrote('sms', '+491702222222', 'from the duplicate')
    await store.consent.record({
      id: 'cs_1',
      contactId: dup.id,
      channel: 'sms',
      status: 'opted_out',
      source: { kind: 'keyword', text: 'STOP' },
      now: t.fx.now(),
      events: [],
    })
    const before = (await store.contacts.get(ana.id))!
    const dupBefore = (await store.contacts.get(dup.id))!

    const out = await store.contacts.merge(await plan(ana.id, [dup.id]))
    expect(out.ok).toBe(true)
    const c = (await store.contacts.get(ana.id))!
    expect(c).toMatchObject({
      first_name: 'Ana',
      last_name: 'Quarzo',
      email: 'ana@example.com',
      phone: '+491702222222',
      timezone: 'Europe/Berlin',
      external_id: 'crm-7',
      attributes: { plan: 'pro', city: 'Porto' },
      blocked: true,
      merged_into: null,
    })
    expect(c.version).toBeGreaterThan(before.version)
    expect(c.last_activity_at >= dupBefore.last_activity_at).toBe(true)
    const gone = (await store.contacts.get(dup.id))!
    expect(gone.merged_into).toBe(ana.id)
    expect(gone.version).toBeGreaterThan(dupBefore.version)
    expect(await store.contacts.findByExternalId('crm-7')).toMatchObject({ id: ana.id })

    const identities = await store.identities.listByContact(ana.id)
    expect(identities.map((i) => `${i.channel}:${i.address}`).sort()).toEqual([
      'sms:+491702222222',
      'tg:1',
    ])
    expect(await store.identities.listByContact(dup.id)).toEqual([])
    const threads = await store.threads.list({ contact_id: ana.id, limit: 10 })
    expect(threads.items).toHaveLength(2)
    expect((await store.threads.list({ contact_id: dup.id, limit: 10 })).items).toEqual([])
    const timeline = await store.messages.timeline(ana.id, 50)
    const texts = timeline.items.flatMap((i) => (i.kind === 'message' ? [i.message.text] : []))
    expect(texts).toContain('from the duplicate')
    const merged = timeline.items.flatMap((i) =>
      i.kind === 'event' && i.event.type === 'contact_merged' ? [i.event.data] : [],
    )
    expect(merged).toEqual([{ from: [dup.id] }])
    expect((await store.messages.timeline(dup.id, 50)).items).toEqual([])
    expect(await store.consent.state(ana.id)).toMatchObject([
      { channel: 'sms', status: 'opted_out' },
    ])
    expect(await store.consent.history(ana.id)).toHaveLength(1)
    expect(await store.consent.optedOut([ana.id], 'sms')).toEqual(new Set([ana.id]))
    expect(await store.contacts.mergedInto(ana.id)).toEqual([dup.id])
  })

  it('the target takes the first external id it lacks; the other merged contacts keep theirs', async () => {
    const ana = await t.fx.contact({ first_name: 'Ana' })
    const one = await t.fx.contact({ first_name: 'One', external_id: 'crm-1' })
    const two = await t.fx.contact({ first_name: 'Two', external_id: 'crm-2' })
    expect(await store.contacts.merge(await plan(ana.id, [one.id, two.id]))).toMatchObject({
      ok: true,
      contact: { external_id: 'crm-1' },
    })
    expect(await store.contacts.findByExternalId('crm-2')).toMatchObject({
      id: two.id,
      merged_into: ana.id,
    })
  })

  it('search finds the survivor by a merged contact’s fields and never lists the merged one', async () => {
    const ana = await t.fx.contact({ first_name: 'Ana', email: 'ana@example.com' })
    const dup = await t.fx.contact({
      first_name: 'Zuleika',
      email: 'zuleika@work.example',
      phone: '+491703333333',
    })
    expect(await store.contacts.merge(await plan(ana.id, [dup.id]))).toMatchObject({ ok: true })
    for (const q of ['Zuleika', 'zuleika@work', '01703333333', 'ana@example']) {
      expect(ids(await store.contacts.search({ q, limit: 10 })), q).toEqual([ana.id])
    }
    expect(ids(await store.contacts.search({ limit: 10 }))).toEqual([ana.id])
    expect(await store.contacts.searchIds({}, 10)).toEqual([ana.id])
    // A later change of the survivor keeps the merged fields searchable.
    await store.contacts.update(ana.id, { first_name: 'Ana Maria' }, t.fx.now())
    expect(ids(await store.contacts.search({ q: 'Zuleika', limit: 10 }))).toEqual([ana.id])
    expect(ids(await store.contacts.search({ q: 'Maria', limit: 10 }))).toEqual([ana.id])
  })

  it('closes the older of two active threads on one channel with a merged event', async () => {
    const ana = await t.fx.contact({ first_name: 'Ana' }).thread('tg')
    const dup = await t.fx.contact({ first_name: 'Dup' }).thread('tg').thread('sms')
    const p = await plan(ana.id, [dup.id])
    expect(p.closes).toEqual([
      { threadId: ana.threadIds[0], keptThreadId: dup.threadIds[0], events: [] },
    ])
    const out = await store.contacts.merge(p)
    expect(out).toMatchObject({ ok: true, closed: [ana.threadIds[0]] })
    const older = (await store.threads.get(ana.threadIds[0]!))!
    expect(older.status).toBe('closed')
    expect(older.contact_id).toBe(ana.id)
    const events = await store.threads.events(older.id)
    expect(events.at(-1)).toMatchObject({
      type: 'merged',
      actor: 'ops',
      data: { kept_thread_id: dup.threadIds[0], from: [dup.id] },
    })
    expect((await store.threads.get(dup.threadIds[0]!))!).toMatchObject({
      status: 'open',
      contact_id: ana.id,
    })
    expect((await store.threads.listActiveByContact(ana.id)).map((x) => x.channel).sort()).toEqual([
      'sms',
      'tg',
    ])
  })

  it('writes nothing when the threads moved since the plan (stale), then applies a fresh plan', async () => {
    const ana = await t.fx.contact({ first_name: 'Ana' })
    const dup = await t.fx.contact({ first_name: 'Dup' }).thread('tg')
    const old = await plan(ana.id, [dup.id])
    // A send opens a thread for Ana on the same channel meanwhile: now they clash.
    await store.threads.create(
      { id: 'th_new', contact_id: ana.id, channel: 'tg', assignee: null, tags: [] },
      false,
      'alice',
      t.fx.now(),
      [],
    )
    expect(await store.contacts.merge(old)).toEqual({ ok: false, code: 'stale' })
    expect((await store.contacts.get(dup.id))!.merged_into).toBeNull()
    expect(await store.identities.listByContact(ana.id)).toEqual([])
    const fresh = await plan(ana.id, [dup.id])
    expect(fresh.closes).toHaveLength(1)
    expect(await store.contacts.merge(fresh)).toMatchObject({ ok: true })
  })

  it('keeps an opt-out on a channel both have, whichever side it was on', async () => {
    const ana = await t.fx.contact({ first_name: 'Ana' })
    const dup = await t.fx.contact({ first_name: 'Dup' })
    const rec = (contactId: string, channel: string, status: 'opted_in' | 'opted_out') =>
      store.consent.record({
        id: `cs_${contactId}_${channel}_${status}`,
        contactId,
        channel,
        status,
        source: { kind: 'api', id: 'ops' },
        now: t.fx.now(),
        events: [],
      })
    await rec(ana.id, 'sms', 'opted_out')
    await rec(ana.id, 'sms', 'opted_in') // Ana resumed: her row says opted_in
    await rec(dup.id, 'sms', 'opted_out')
    await rec(ana.id, 'tg', 'opted_out')
    await rec(dup.id, 'tg', 'opted_out')
    await rec(dup.id, 'tg', 'opted_in')
    expect(await store.contacts.merge(await plan(ana.id, [dup.id]))).toMatchObject({ ok: true })
    const state = await store.consent.state(ana.id)
    expect(state.map((s) => `${s.channel}:${s.status}`)).toEqual(['sms:opted_out', 'tg:opted_out'])
    expect(await store.consent.history(ana.id)).toHaveLength(6)
    expect(await store.consent.state(dup.id)).toEqual([])
  })

  it('a consent change addressed to a merged contact (a link mailed before) is the survivor’s', async () => {
    const ana = await t.fx.contact({ first_name: 'Ana' }).thread('mail')
    const dup = await t.fx.contact({ first_name: 'Dup' })
    expect(await store.contacts.merge(await plan(ana.id, [dup.id]))).toMatchObject({ ok: true })
    const out = await store.consent.record({
      id: 'cs_link',
      contactId: dup.id,
      channel: 'mail',
      status: 'opted_out',
      source: { kind: 'one_click' },
      now: t.fx.now(),
      events: [],
    })
    expect(out).toEqual({ changed: true, threadId: ana.threadIds[0] })
    expect(await store.consent.optedOut([ana.id], 'mail')).toEqual(new Set([ana.id]))
    expect(await store.consent.state(dup.id)).toEqual([])
  })

  it('refuses unknown and merged contacts; chains point at the last survivor', async () => {
    const a = await t.fx.contact({ first_name: 'A' })
    const b = await t.fx.contact({ first_name: 'B' })
    const c = await t.fx.contact({ first_name: 'C' })
    expect(await store.contacts.merge(await plan(a.id, ['ct_nobody']))).toEqual({
      ok: false,
      code: 'not_found',
      id: 'ct_nobody',
    })
    expect(await store.contacts.merge(await plan(b.id, [a.id]))).toMatchObject({ ok: true })
    expect(await store.contacts.merge(await plan(c.id, [a.id]))).toEqual({
      ok: false,
      code: 'merged',
      id: a.id,
      into: b.id,
    })
    expect(await store.contacts.merge(await plan(c.id, [b.id]))).toMatchObject({ ok: true })
    expect((await store.contacts.get(a.id))!.merged_into).toBe(c.id)
    expect((await store.contacts.get(b.id))!.merged_into).toBe(c.id)
    expect(await store.contacts.mergedInto(c.id)).toEqual([a.id, b.id].sort())
    expect(ids(await store.contacts.search({ q: 'A', limit: 10 }))).toEqual([c.id])
  })

  it('erasing the survivor erases the contacts merged into it', async () => {
    const ana = await t.fx.contact({ first_name: 'Ana' }).identity('tg', '1').wrote('tg', '1')
    const dup = await t.fx
      .contact({ first_name: 'Dup', email: 'dup@example.com' })
      .identity('tg', '2')
      .wrote('tg', '2')
    expect(await store.contacts.merge(await plan(ana.id, [dup.id]))).toMatchObject({ ok: true })
    expect(await store.contacts.erase(ana.id, t.fx.now(), 'ops')).toBe(true)
    expect(await store.contacts.get(ana.id)).toBeNull()
    expect(await store.contacts.get(dup.id)).toBeNull()
    expect(await store.identities.find('tg', '2')).toBeNull()
    expect((await store.contacts.search({ q: 'dup', limit: 10 })).items).toEqual([])
    expect((await store.messages.timeline(dup.id, 10)).items).toEqual([])
  })

  it('a send planned for a merged contact comes back stale (decided again for the survivor)', async () => {
    const ana = await t.fx.contact({ first_name: 'Ana' })
    const dup = await t.fx.contact({ first_name: 'Dup' }).identity('tg', '42')
    const version = (await store.contacts.get(dup.id))!.version
    const send = t.fx.outPlan(dup.id, { contact: { existing: dup.id, version } })
    expect(await store.contacts.merge(await plan(ana.id, [dup.id]))).toMatchObject({ ok: true })
    expect(await store.accept(send)).toEqual({ ok: false, code: 'stale' })
    // Without a version (bulk) it is not applied to the merged contact either.
    const bulk = t.fx.outPlan(dup.id)
    expect(await store.accept(bulk)).toEqual({ ok: false, code: 'stale' })
    expect(await store.messages.get(send.message.id)).toBeNull()
  })
})
