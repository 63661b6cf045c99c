/**
 * The send path through the real app and store: contacts, rules refusals with their codes,
 * reopen-and-assign, idempotency, dry runs, templates. Webhook channels stand in for every rule
 * combination because their rules are configurable like any other channel's.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const CONFIG = `server:
  public_url: http://127.0.0.1:9
  body_limit: 65536
channels:
  sms:
    type: webhook
    url: http://127.0.0.1:9/out
    secret: sms-secret
    address: phone
  relay:
    type: webhook
    url: http://127.0.0.1:9/out
    secret: relay-secret
    address: any
    rules:
      contact_first: true
      window: { duration: 24h, after: templates_only }
  strict:
    type: webhook
    url: http://127.0.0.1:9/out
    secret: strict-secret
    address: any
    rules:
      mandatory_tags: [billing, refund]
  mail:
    type: webhook
    url: http://127.0.0.1:9/out
    secret: mail-secret
    address: email
    rules:
      allow_with_open_thread: true
templates:
  refund_update:
    title: Refund update
    text: "Hi {{first_name|there}}, your refund is {{status}}."
    signature: "— Example Support"
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

/** The person writes to us on a webhook channel (opens windows, satisfies contact-first). */
async function inbound(channel: string, secret: string, from: string, id: string, text = 'hello') {
  const raw = JSON.stringify({ id, from: { address: from, first_name: 'Ana' }, text })
  return t.call('POST', `/v1/channels/${channel}/inbound`, {
    key: null,
    raw,
    headers: { 'content-type': 'application/json', 'x-omnigate-signature': sign(secret, raw) },
  })
}

describe('POST /v1/messages', () => {
  it('queues a message to a known contact and answers 202 with the ids', async () => {
    const id = await contact({ first_name: 'Ana', phone: '+49 170 1234567' })
    const r = await t.call('POST', '/v1/messages', {
      key: KEYS.alice,
      body: { contact_id: id, channel: 'sms', text: 'Hi {{first_name}}' },
    })
    expect(r.status).toBe(202)
    expect(r.body).toMatchObject({
      status: 'queued',
      contact_id: id,
      channel: 'sms',
      text: 'Hi Ana',
      address: '+491701234567',
      to: '+491701234567',
    })
    expect(r.body.thread_id).toMatch(/^th_/)
    const m = await t.call('GET', `/v1/messages/${r.body.id}`)
    expect(m.status).toBe(200)
    expect(m.body.status).toBe('queued')
    // The 202 names the address as the message does (`to`: the same, deprecated).
    expect(m.body.address).toBe(r.body.address)
    expect(m.body.author).toEqual({ kind: 'agent', id: 'alice' })
    const th = await t.call('GET', `/v1/threads/${r.body.thread_id}`)
    expect(th.body.assignee).toBe('alice')
    expect(await t.gw.store.outbox.depth()).toBe(1)
  })

  it('creates a brand-new contact from `to` on a channel without contact-first', async () => {
    const r = await t.call('POST', '/v1/messages', {
      body: {
        to: { channel: 'sms', address: '+44 20 7946 0958', first_name: 'Bo' },
        text: 'Welcome',
      },
    })
    expect(r.status).toBe(202)
    const c = await t.call('GET', `/v1/contacts/${r.body.contact_id}`)
    expect(c.body.first_name).toBe('Bo')
    expect(c.body.identities).toEqual([
      expect.objectContaining({ channel: 'sms', address: '+442079460958' }),
    ])
  })

  it.each([
    [
      'unknown channel',
      { to: { channel: 'nope', address: 'x' }, text: 'a' },
      422,
      'channel_unknown',
    ],
    [
      'phone without +',
      { to: { channel: 'sms', address: '0170 1234567' }, text: 'a' },
      422,
      'address_invalid',
    ],
    [
      'contact-first',
      { to: { channel: 'relay', address: 'u-1' }, text: 'a' },
      422,
      'contact_first',
    ],
    ['empty message', { to: { channel: 'sms', address: '+491701234567' } }, 422, 'empty_message'],
    [
      'unknown template',
      { to: { channel: 'sms', address: '+491701234567' }, template: { name: 'nope' } },
      422,
      'template_unknown',
    ],
    [
      'missing variable',
      { to: { channel: 'sms', address: '+491701234567' }, template: { name: 'refund_update' } },
      422,
      'variable_missing',
    ],
    [
      'tags required',
      { to: { channel: 'strict', address: 'u-2' }, text: 'a' },
      422,
      'tags_required',
    ],
    [
      'tag not allowed',
      { to: { channel: 'strict', address: 'u-2' }, text: 'a', tags: ['vip'] },
      422,
      'tag_unknown',
    ],
    [
      'two targets',
      {
        contact_id: 'ct_01jabcdefghjkmnpqrstvwxyz0',
        to: { channel: 'sms', address: '+491701234567' },
        text: 'a',
      },
      400,
      'invalid_field',
    ],
    [
      'unknown field',
      { to: { channel: 'sms', address: '+491701234567' }, text: 'a', thread: 'x' },
      400,
      'invalid_field',
    ],
    [
      'wrong type',
      { to: { channel: 'sms', address: '+491701234567' }, text: 42 },
      400,
      'invalid_field',
    ],
  ])('refuses %s with its code and stores nothing', async (_, body, status, code) => {
    const r = await t.call('POST', '/v1/messages', { body })
    expect(r.status).toBe(status)
    expect(r.body.error.code).toBe(code)
    expect(typeof r.body.error.message).toBe('string')
    expect(await t.gw.store.outbox.depth()).toBe(0)
    const contacts = await t.call('GET', '/v1/contacts')
    expect(contacts.body.items).toHaveLength(0)
  })

  it('names the field of a malformed body', async () => {
    const r = await t.call('POST', '/v1/messages', {
      body: {
        to: { channel: 'sms', address: '+491701234567' },
        attachments: [{ filename: 'a.txt', content_type: 'text/plain' }],
      },
    })
    expect(r.status).toBe(400)
    expect(r.body.error.details.field).toBe('attachments[0]')
  })

  it('names the unknown field itself, not the body (a 400 for a typo like to.adress)', async () => {
    const r = await t.call('POST', '/v1/messages', {
      body: { to: { channel: 'sms', adress: '+491701234567' }, text: 'a' },
    })
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe('invalid_field')
    expect(r.body.error.details.field).toBe('to.adress')
    expect(r.body.error.details.issues).toContainEqual({
      field: 'to.adress',
      message: 'unknown field',
    })
  })

  it('answers 400 invalid_json for a body that is not JSON', async () => {
    const r = await t.call('POST', '/v1/messages', {
      raw: '{"text": ',
      headers: { 'content-type': 'application/json' },
    })
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe('invalid_json')
  })

  it('answers 413 above the configured body limit', async () => {
    const r = await t.call('POST', '/v1/messages', {
      body: { to: { channel: 'sms', address: '+491701234567' }, text: 'x'.repeat(70_000) },
    })
    expect(r.status).toBe(413)
    expect(r.body.error.code).toBe('body_too_large')
  })

  it('refuses a blocked contact', async () => {
    const id = await contact({ phone: '+491701234567', blocked: true })
    const r = await t.call('POST', '/v1/messages', {
      body: { contact_id: id, channel: 'sms', text: 'a' },
    })
    expect(r.status).toBe(422)
    expect(r.body.error).toMatchObject({ code: 'contact_blocked' })
  })

  it('renders a template with title and signature from contact fields and variables', async () => {
    const id = await contact({ first_name: 'Ana', phone: '+491701234567' })
    const r = await t.call('POST', '/v1/messages', {
      body: {
        contact_id: id,
        channel: 'sms',
        template: { name: 'refund_update', variables: { status: 'approved' } },
      },
    })
    expect(r.status).toBe(202)
    expect(r.body.text).toBe(
      'Refund update\n\nHi Ana, your refund is approved.\n\n— Example Support',
    )
    expect(r.body.template).toMatchObject({ name: 'refund_update' })
  })

  it('a dry run answers the decision and stores nothing', async () => {
    const id = await contact({ first_name: 'Ana', phone: '+491701234567' })
    const r = await t.call('POST', '/v1/messages', {
      body: { contact_id: id, channel: 'sms', text: 'Hi {{first_name}}', dry_run: true },
    })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ dry_run: true, allowed: true, address: '+491701234567' })
    expect(await t.gw.store.outbox.depth()).toBe(0)
    expect((await t.call('GET', '/v1/threads')).body.items).toHaveLength(0)
  })

  it('Idempotency-Key: same body → same answer once; another body → 409 idempotency_mismatch', async () => {
    const id = await contact({ phone: '+491701234567' })
    const body = { contact_id: id, channel: 'sms', text: 'once' }
    const headers = { 'idempotency-key': 'order-42' }
    const [a, b] = await Promise.all([
      t.call('POST', '/v1/messages', { body, headers }),
      t.call('POST', '/v1/messages', { body, headers }),
    ])
    expect(a.status).toBe(202)
    expect(b.status).toBe(202)
    expect(b.body.id).toBe(a.body.id)
    const c = await t.call('POST', '/v1/messages', { body, headers })
    expect(c.body.id).toBe(a.body.id)
    expect(await t.gw.store.outbox.depth()).toBe(1)
    const d = await t.call('POST', '/v1/messages', { body: { ...body, text: 'other' }, headers })
    expect(d.status).toBe(409)
    expect(d.body.error.code).toBe('idempotency_mismatch')
  })

  it('reopens a closed thread and assigns it to the agent who sent', async () => {
    const id = await contact({ phone: '+491701234567' })
    const first = await t.call('POST', '/v1/messages', {
      key: KEYS.alice,
      body: { contact_id: id, channel: 'sms', text: 'a' },
    })
    const th = first.body.thread_id as string
    const closed = await t.call('POST', `/v1/threads/${th}/close`, { key: KEYS.alice, body: {} })
    expect(closed.body).toMatchObject({ status: 'closed', assignee: null })
    const again = await t.call('POST', '/v1/messages', {
      key: KEYS.bob,
      body: { thread_id: th, text: 'follow-up' },
    })
    expect(again.status).toBe(202)
    expect(again.body.thread_id).toBe(th)
    const after = await t.call('GET', `/v1/threads/${th}`)
    expect(after.body).toMatchObject({ status: 'open', assignee: 'bob' })
    expect(after.body.events.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['opened', 'closed', 'reopened']),
    )
  })

  it('refuses a second active thread on another channel with 409 thread_conflict naming it', async () => {
    const id = await contact({
      phone: '+491701234567',
      identities: [{ channel: 'strict', address: 'u-9' }],
    })
    const first = await t.call('POST', '/v1/messages', {
      key: KEYS.alice,
      body: { contact_id: id, channel: 'sms', text: 'a' },
    })
    const r = await t.call('POST', '/v1/messages', {
      body: { contact_id: id, channel: 'strict', text: 'b', tags: ['billing'] },
    })
    expect(r.status).toBe(409)
    expect(r.body.error.code).toBe('thread_conflict')
    expect(r.body.error.details).toMatchObject({
      thread_id: first.body.thread_id,
      assignee: 'alice',
    })
  })

  it('allow_with_open_thread lets an email-like channel send beside an open thread', async () => {
    const id = await contact({ phone: '+491701234567', email: 'Ana@Example.com' })
    await t.call('POST', '/v1/messages', { body: { contact_id: id, channel: 'sms', text: 'a' } })
    const r = await t.call('POST', '/v1/messages', {
      body: { contact_id: id, channel: 'mail', text: 'b' },
    })
    expect(r.status).toBe(202)
    // One person, one identity: email addresses are lowercased whole.
    expect(r.body.to).toBe('ana@example.com')
  })

  it('a window channel: text inside the window, only templates after it', async () => {
    const r0 = await inbound('relay', 'relay-secret', 'u-7', 'in-1')
    expect(r0.status).toBe(200)
    const cid = r0.body.contact_id as string
    const inside = await t.call('POST', '/v1/messages', {
      body: { contact_id: cid, channel: 'relay', text: 'inside' },
    })
    expect(inside.status).toBe(202)
    clock = new Date(clock.getTime() + 24 * 3600_000 + 1)
    const after = await t.call('POST', '/v1/messages', {
      body: { contact_id: cid, channel: 'relay', text: 'late' },
    })
    expect(after.status).toBe(422)
    expect(after.body.error).toMatchObject({
      code: 'template_required',
      rule: 'channels.relay.rules.window',
    })
    const tpl = await t.call('POST', '/v1/messages', {
      body: {
        contact_id: cid,
        channel: 'relay',
        template: { name: 'refund_update', variables: { status: 'sent' } },
      },
    })
    expect(tpl.status).toBe(202)
  })

  it('concurrent first sends to one person share one thread and one new contact (no 409)', async () => {
    const id = await contact({ phone: '+491701234567' })
    const many = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.call('POST', '/v1/messages', { body: { contact_id: id, channel: 'sms', text: `m${i}` } }),
      ),
    )
    expect(many.map((r) => r.status)).toEqual(Array(8).fill(202))
    expect(new Set(many.map((r) => r.body.thread_id)).size).toBe(1)
    const fresh = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.call('POST', '/v1/messages', {
          body: { to: { channel: 'sms', address: '+44 20 7946 0958' }, text: 'hi' },
        }),
      ),
    )
    expect(fresh.map((r) => r.status)).toEqual(Array(5).fill(202))
    expect(new Set(fresh.map((r) => r.body.contact_id)).size).toBe(1)
    expect(new Set(fresh.map((r) => r.body.thread_id)).size).toBe(1)
  })

  it('asks for a channel when the contact has several', async () => {
    const id = await contact({
      phone: '+491701234567',
      identities: [
        { channel: 'sms', address: '+491701234567' },
        { channel: 'strict', address: 'u-3' },
      ],
    })
    const r = await t.call('POST', '/v1/messages', { body: { contact_id: id, text: 'a' } })
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe('channel_required')
  })
})

describe('GET /v1/contacts/{id}/eligibility', () => {
  it('tells per channel whether and what may be sent', async () => {
    const r0 = await inbound('relay', 'relay-secret', 'u-8', 'in-8')
    const cid = r0.body.contact_id as string
    await t.call('PATCH', `/v1/contacts/${cid}`, { body: { phone: '+491701234567' } })
    let e = await t.call('GET', `/v1/contacts/${cid}/eligibility`)
    expect(e.status).toBe(200)
    const relay = e.body.channels.find((c: { channel: string }) => c.channel === 'relay')
    expect(relay).toMatchObject({
      can_send: true,
      allowed_kinds: expect.arrayContaining(['text', 'template']),
    })
    expect(relay.window_expires_at).toBe(new Date(clock.getTime() + 24 * 3600_000).toISOString())
    clock = new Date(clock.getTime() + 25 * 3600_000)
    e = await t.call('GET', `/v1/contacts/${cid}/eligibility`)
    const late = e.body.channels.find((c: { channel: string }) => c.channel === 'relay')
    expect(late).toMatchObject({
      can_send: true,
      allowed_kinds: ['template'],
      code: 'template_required',
    })
  })
})
