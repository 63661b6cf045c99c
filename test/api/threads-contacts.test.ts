/** Threads (start, single-open rule, close, snooze, assign, tags), contact search and the timeline. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const CONFIG = `channels:
  sms:
    type: webhook
    url: http://127.0.0.1:9/out
    secret: sms-secret
    address: phone
    rules:
      closing: { unassign: false }
  chat:
    type: webhook
    url: http://127.0.0.1:9/out
    secret: chat-secret
`

let t: TestGateway
let clock: Date

beforeEach(async () => {
  clock = new Date('2026-11-24T10:00:00.000Z')
  t = await startGateway(CONFIG, { now: () => clock })
})
afterEach(async () => {
  await t.close()
})

async function contact(body: Record<string, unknown>): Promise<string> {
  const r = await t.call('POST', '/v1/contacts', { body })
  expect(r.status).toBe(201)
  return r.body.id as string
}

describe('threads', () => {
  it('starts one thread per contact; a second on another channel is a 409 naming the first', async () => {
    const id = await contact({ first_name: 'Ana' })
    const a = await t.call('POST', '/v1/threads', {
      key: KEYS.alice,
      body: { contact_id: id, channel: 'sms' },
    })
    expect(a.status).toBe(201)
    expect(a.body).toMatchObject({ status: 'open', assignee: 'alice', channel: 'sms' })
    const b = await t.call('POST', '/v1/threads', { body: { contact_id: id, channel: 'chat' } })
    expect(b.status).toBe(409)
    expect(b.body.error).toMatchObject({ code: 'thread_conflict' })
  })

  it('close keeps the assignee when the channel says closing.unassign: false, unless asked', async () => {
    const id = await contact({})
    const th = (
      await t.call('POST', '/v1/threads', {
        key: KEYS.alice,
        body: { contact_id: id, channel: 'sms' },
      })
    ).body.id
    const kept = await t.call('POST', `/v1/threads/${th}/close`, { key: KEYS.alice, body: {} })
    expect(kept.body).toMatchObject({ status: 'closed', assignee: 'alice' })
    const id2 = await contact({})
    const th2 = (
      await t.call('POST', '/v1/threads', {
        key: KEYS.alice,
        body: { contact_id: id2, channel: 'sms' },
      })
    ).body.id
    const dropped = await t.call('POST', `/v1/threads/${th2}/close`, {
      key: KEYS.alice,
      body: { unassign: true },
    })
    expect(dropped.body).toMatchObject({ status: 'closed', assignee: null })
  })

  it('snooze wakes by itself at snoozed_until', async () => {
    const id = await contact({})
    const th = (await t.call('POST', '/v1/threads', { body: { contact_id: id, channel: 'sms' } }))
      .body.id
    const until = new Date(clock.getTime() + 60_000).toISOString()
    const s = await t.call('POST', `/v1/threads/${th}/snooze`, { body: { until } })
    expect(s.body).toMatchObject({ status: 'snoozed', snoozed_until: until })
    clock = new Date(clock.getTime() + 61_000)
    await expect
      .poll(async () => (await t.call('GET', `/v1/threads/${th}`)).body.status, { timeout: 5000 })
      .toBe('open')
  })

  it('snooze in the past is a 400 naming until', async () => {
    const id = await contact({})
    const th = (await t.call('POST', '/v1/threads', { body: { contact_id: id, channel: 'sms' } }))
      .body.id
    const s = await t.call('POST', `/v1/threads/${th}/snooze`, {
      body: { until: '2020-01-01T00:00:00Z' },
    })
    expect(s.status).toBe(400)
    expect(s.body.error.details.field).toBe('until')
  })

  it('assign, tags and the filters of the thread list', async () => {
    const id = await contact({})
    const th = (
      await t.call('POST', '/v1/threads', {
        key: KEYS.shop,
        body: { contact_id: id, channel: 'sms' },
      })
    ).body.id
    expect(
      (
        await t.call('POST', `/v1/threads/${th}/assign`, {
          key: KEYS.alice,
          body: { agent: 'bob' },
        })
      ).body.assignee,
    ).toBe('bob')
    const tags = (
      await t.call('PUT', `/v1/threads/${th}/tags`, {
        key: KEYS.alice,
        body: { tags: ['vip', 'vip', 'refund'] },
      })
    ).body.tags
    expect([...tags].sort()).toEqual(['refund', 'vip'])
    const mine = await t.call('GET', '/v1/threads?assignee=me', { key: KEYS.bob })
    expect(mine.body.items.map((x: { id: string }) => x.id)).toEqual([th])
    const none = await t.call('GET', '/v1/threads?assignee=me', { key: KEYS.alice })
    expect(none.body.items).toEqual([])
  })

  it('an app key may not close threads (403), an agent may', async () => {
    const id = await contact({})
    const th = (await t.call('POST', '/v1/threads', { body: { contact_id: id, channel: 'sms' } }))
      .body.id
    const r = await t.call('POST', `/v1/threads/${th}/close`, { key: KEYS.shop, body: {} })
    expect(r.status).toBe(403)
    expect(r.body.error.code).toBe('forbidden')
  })

  it('404 for an unknown thread', async () => {
    const r = await t.call('POST', '/v1/threads/th_01jabcdefghjkmnpqrstvwxyz0/close', { body: {} })
    expect(r.status).toBe(404)
    expect(r.body.error.code).toBe('not_found')
  })
})

describe('contacts', () => {
  it('search: prefix over names, email and phone, case- and format-insensitive, newest activity first', async () => {
    const ana = await contact({
      first_name: 'Ána',
      last_name: 'Lopez',
      email: 'ana@shop.example',
      phone: '+49 170 1234567',
    })
    const bob = await contact({ first_name: 'Bob', last_name: 'Anders', email: 'bob@example.org' })
    const q = async (s: string) =>
      (await t.call('GET', `/v1/contacts?q=${encodeURIComponent(s)}`)).body.items.map(
        (c: { id: string }) => c.id,
      )
    expect(await q('an')).toEqual([bob, ana]) // Anders (newer) then Ána
    expect(await q('ANA')).toEqual([ana])
    expect(await q('lop')).toEqual([ana])
    expect(await q('bob@exa')).toEqual([bob])
    expect(await q('+49 170')).toEqual([ana])
    // FTS syntax in q is never an error: punctuation alone searches nothing, like an empty q.
    expect((await t.call('GET', `/v1/contacts?q=${encodeURIComponent('"*( AND')}`)).status).toBe(
      200,
    )
    // Activity moves a contact to the top.
    await t.call('POST', '/v1/messages', { body: { contact_id: ana, channel: 'sms', text: 'hi' } })
    expect(await q('an')).toEqual([ana, bob])
  })

  it('search filters by thread status and assignee, with cursor pagination', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(await contact({ first_name: `P${i}` }))
    await t.call('POST', '/v1/threads', {
      key: KEYS.alice,
      body: { contact_id: ids[1], channel: 'sms' },
    })
    await t.call('POST', '/v1/threads', {
      key: KEYS.alice,
      body: { contact_id: ids[3], channel: 'sms' },
    })
    const mine = await t.call('GET', '/v1/contacts?assignee=me&thread_status=open', {
      key: KEYS.alice,
    })
    expect(mine.body.items.map((c: { id: string }) => c.id).sort()).toEqual([ids[1], ids[3]].sort())
    const p1 = await t.call('GET', '/v1/contacts?limit=2')
    expect(p1.body.items).toHaveLength(2)
    const p2 = await t.call('GET', `/v1/contacts?limit=2&cursor=${p1.body.next_cursor}`)
    const p3 = await t.call('GET', `/v1/contacts?limit=2&cursor=${p2.body.next_cursor}`)
    const all = [...p1.body.items, ...p2.body.items, ...p3.body.items].map(
      (c: { id: string }) => c.id,
    )
    expect(new Set(all).size).toBe(5)
  })

  it('rejects a bad phone on create with 400 naming the field, and a taken identity with 409', async () => {
    const bad = await t.call('POST', '/v1/contacts', { body: { phone: 'call me' } })
    expect(bad.status).toBe(400)
    expect(bad.body.error.details.field).toBe('phone')
    await contact({ identities: [{ channel: 'chat', address: 'u-1' }] })
    const dup = await t.call('POST', '/v1/contacts', {
      body: { identities: [{ channel: 'chat', address: 'u-1' }] },
    })
    expect(dup.status).toBe(409)
    expect(dup.body.error.code).toBe('identity_taken')
  })

  it('the timeline lists messages and thread events in time order', async () => {
    const id = await contact({ phone: '+491701234567' })
    const sent = await t.call('POST', '/v1/messages', {
      key: KEYS.alice,
      body: { contact_id: id, channel: 'sms', text: 'one' },
    })
    clock = new Date(clock.getTime() + 1000)
    await t.call('POST', `/v1/threads/${sent.body.thread_id}/close`, { key: KEYS.alice, body: {} })
    const tl = await t.call('GET', `/v1/contacts/${id}/timeline`)
    expect(tl.status).toBe(200)
    const kinds = tl.body.items.map((i: { kind: string; event?: { type: string } }) =>
      i.kind === 'event' ? i.event?.type : 'message',
    )
    expect(kinds).toEqual(expect.arrayContaining(['opened', 'message', 'closed']))
    expect(kinds.indexOf('closed')).toBeGreaterThan(kinds.indexOf('message'))
    const ats = tl.body.items.map((i: { at: string }) => i.at)
    expect([...ats].sort()).toEqual(ats)
  })
})
