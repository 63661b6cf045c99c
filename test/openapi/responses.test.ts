/**
 * Real answers of the API, checked against the document it serves (`/v1/openapi.json`): a
 * realistic scenario — contacts, sends through a webhook channel to a local relay, inbound and
 * status, threads, eligibility, timeline, bulk, channels, Web Push registration — and the refusals
 * 400/401/403/404/409/413/422/429. Each answer's (path, method, status) must be declared and its
 * body must match the declared schema with no undeclared field. Every operation must have been
 * answered 2xx at least once, so a new route cannot go unchecked.
 */
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { userHash } from '../../src/connectors/webpush/user-hash.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { FakePushService } from '../fakes/push-service.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'
import { responseValidator, type ResponseValidator } from './response-validator.js'

/**
 * Operations the scenario cannot answer 2xx without a platform's fake (test/integration has them),
 * or whose 2xx never ends (the SSE stream: test/api/live-stream.test.ts reads it).
 */
const NOT_2XX_HERE = new Set([
  'verifyPlatformHook',
  'receivePlatformHook',
  'streamEvents',
  'streamWebchat',
])

/** Requests per key before 429: above what one key spends in the scenario. */
const BURST = 150

let relay: WebhookReceiver
let push: FakePushService
let t: TestGateway
let v: ResponseValidator

beforeAll(async () => {
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
  push = await FakePushService.start()
  t = await startGateway(
    `server:
  public_url: http://127.0.0.1:8080
  body_limit: 64kb
  rate_limit: { per_second: 1, burst: ${BURST} }
security:
  allow_private_urls: true
dispatcher:
  backoff_base: 50ms
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
  relay:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    rules:
      contact_first: true
  web:
    type: webpush
    secret: site-secret
  chat:
    type: webchat
    secret: chat-secret
    allowed_origins: [https://shop.example]
    fallback: { push: web }
templates:
  shipped:
    text: "Order {{order}} has shipped"
`,
    { dispatcher: true },
  )
  const doc = await t.call('GET', '/v1/openapi.json', { key: null })
  expect(doc.status).toBe(200)
  v = responseValidator(doc.body)
})
afterAll(async () => {
  await t?.close()
  await relay?.close()
  await push?.close()
})

type Opts = Parameters<TestGateway['call']>[2]

/** A call whose answer is checked against the document; `want` is the status the step expects. */
async function call(want: number, method: string, path: string, opts?: Opts) {
  const r = await t.call(method, path, opts)
  v.check(method, path, r.status, r.headers.get('content-type'), r.body)
  expect([method, path, r.status, r.body?.error?.code]).toEqual([
    method,
    path,
    want,
    r.body?.error?.code,
  ])
  return r
}

const signed = (body: unknown) => {
  const raw = JSON.stringify(body)
  return {
    key: null,
    raw,
    headers: {
      'content-type': 'application/json',
      'x-omnigate-signature': sign('relay-secret', raw),
    },
  }
}

const expectCode = (r: { body: any }, code: string) => expect(r.body.error.code).toBe(code)

describe('answers match the OpenAPI document', () => {
  let ct = ''
  let bo = ''
  let sent: { id: string; thread_id: string; attachments: { id: string }[] } = {
    id: '',
    thread_id: '',
    attachments: [],
  }

  it('system routes', async () => {
    await call(200, 'GET', '/healthz', { key: null })
    await call(200, 'GET', '/readyz', { key: null })
    await call(200, 'GET', '/metrics', { key: null })
    await call(200, 'GET', '/v1/openapi.json', { key: null })
    await call(200, 'GET', '/widget.js', { key: null })
    await call(200, 'GET', '/v1/channels')
    await call(200, 'POST', '/v1/admin/reload')
    expectCode(await call(403, 'POST', '/v1/admin/reload', { key: KEYS.alice }), 'forbidden')
    await call(404, 'GET', '/hooks/telegram/nope', { key: null })
  })

  it('contacts: create, conflicts, refusals, read, update, search', async () => {
    const ana = await call(201, 'POST', '/v1/contacts', {
      body: {
        first_name: 'Ana',
        last_name: 'Silva',
        email: 'ana@example.com',
        external_id: 'user-42',
        attributes: { plan: 'pro' },
        identities: [{ channel: 'sms', address: '+491701234567' }],
      },
    })
    ct = ana.body.id
    const taken = { identities: [{ channel: 'sms', address: '+491701234567' }] }
    expectCode(await call(409, 'POST', '/v1/contacts', { body: taken }), 'identity_taken')
    const fax = { identities: [{ channel: 'fax', address: '1' }] }
    expectCode(await call(422, 'POST', '/v1/contacts', { body: fax }), 'channel_unknown')
    const bad = await call(400, 'POST', '/v1/contacts', { body: { first_name: 7 } })
    expect(bad.body.error).toMatchObject({
      code: 'invalid_field',
      details: { field: 'first_name' },
    })
    const json = { raw: '{"first_name":', headers: { 'content-type': 'application/json' } }
    expectCode(await call(400, 'POST', '/v1/contacts', json), 'invalid_json')
    bo = (
      await call(201, 'POST', '/v1/contacts', { body: { first_name: 'Bo', external_id: 'u43' } })
    ).body.id
    const dup = { body: { external_id: 'u43' } }
    expectCode(await call(409, 'PATCH', `/v1/contacts/${ct}`, dup), 'external_id_taken')
    await call(200, 'PATCH', `/v1/contacts/${ct}`, { body: { attributes: { plan: 'team' } } })
    await call(200, 'GET', `/v1/contacts/${ct}`)
    await call(404, 'GET', '/v1/contacts/ct_01jb2m6x3v8k4q9r7s5t1w0y2z')
    expectCode(await call(401, 'GET', `/v1/contacts/${ct}`, { key: null }), 'unauthorized')
    await call(401, 'GET', `/v1/contacts/${ct}`, { key: 'not-a-key' })
    expect((await call(200, 'GET', '/v1/contacts?q=ana&limit=10')).body.items).toHaveLength(1)
    await call(400, 'GET', '/v1/contacts?limit=0')
  })

  it('webhook channel inbound, eligibility, sends, status, attachments', async () => {
    const inbound = { id: 'in-1', from: { address: '+491701234567' }, text: 'Where is my order?' }
    await call(200, 'POST', '/v1/channels/sms/inbound', signed(inbound))
    await call(200, 'POST', '/v1/channels/sms/inbound', signed(inbound)) // the same id: a no-op
    await call(401, 'POST', '/v1/channels/sms/inbound', { key: null, body: inbound })
    await call(404, 'POST', '/v1/channels/nope/inbound', signed(inbound))
    await call(200, 'GET', `/v1/contacts/${ct}/eligibility`)

    const send = {
      contact_id: ct,
      channel: 'sms',
      text: 'Hello {{first_name}}, it shipped.',
      attachments: [
        {
          filename: 'label.txt',
          content_type: 'text/plain',
          data: Buffer.from('label').toString('base64'),
        },
      ],
    }
    const dry = await call(200, 'POST', '/v1/messages', { body: { ...send, dry_run: true } })
    expect(dry.body.dry_run).toBe(true)
    const idem = { 'idempotency-key': 'order-1234-shipped' }
    sent = (await call(202, 'POST', '/v1/messages', { body: send, headers: idem })).body
    const again = await call(202, 'POST', '/v1/messages', { body: send, headers: idem })
    expect(again.body.id).toBe(sent.id)
    const other = { body: { ...send, text: 'another' }, headers: idem }
    expectCode(await call(409, 'POST', '/v1/messages', other), 'idempotency_mismatch')
    const longKey = { body: send, headers: { 'idempotency-key': 'k'.repeat(201) } }
    expectCode(await call(400, 'POST', '/v1/messages', longKey), 'invalid_field')
    await call(400, 'POST', '/v1/messages', { body: { text: 'to nobody' } })
    const first = { body: { to: { channel: 'relay', address: 'someone' }, text: 'hi' } }
    expectCode(await call(422, 'POST', '/v1/messages', first), 'contact_first')
    const gone = { body: { thread_id: 'th_01jb2m7c4d5e6f7g8h9j0k1m2p', text: 'hi' } }
    await call(404, 'POST', '/v1/messages', gone)
    const big = { raw: JSON.stringify({ ...send, text: 'x'.repeat(70_000) }) }
    expectCode(await call(413, 'POST', '/v1/messages', big), 'body_too_large')

    await expect
      .poll(async () => (await call(200, 'GET', `/v1/messages/${sent.id}`)).body.status, {
        timeout: 5000,
      })
      .toBe('sent')
    const status = { message_id: sent.id, status: 'delivered' }
    await call(200, 'POST', '/v1/channels/sms/status', signed(status))
    const unknown = { message_id: 'msg_01jb2m7c4d5e6f7g8h9j0k1m2n', status: 'read' }
    await call(404, 'POST', '/v1/channels/sms/status', signed(unknown))
    const read = await call(200, 'GET', `/v1/messages/${sent.id}`)
    expect(read.body.status).toBe('delivered')
    await call(404, 'GET', '/v1/messages/msg_01jb2m7c4d5e6f7g8h9j0k1m2n')
    expectCode(await call(409, 'POST', `/v1/messages/${sent.id}/cancel`), 'message_not_cancellable')
    const later = { ...send, send_at: new Date(Date.now() + 3_600_000).toISOString() }
    const held = (await call(202, 'POST', '/v1/messages', { body: later })).body
    expect((await call(200, 'POST', `/v1/messages/${held.id}/cancel`)).body.status).toBe(
      'cancelled',
    )

    const att = `/v1/attachments/${sent.attachments[0]?.id ?? ''}`
    expect((await call(200, 'GET', att)).text).toBe('label')
    await call(401, 'GET', `${att}?exp=1&sig=forged`, { key: null })
  })

  it('threads: list, read, conflict, agent actions, a new thread; timeline', async () => {
    const th = sent.thread_id
    await call(200, 'GET', `/v1/threads?contact_id=${ct}`)
    await call(200, 'GET', `/v1/threads/${th}`)
    await call(200, 'GET', `/v1/threads/${th}/messages?limit=5`)
    const again = { body: { contact_id: ct, channel: 'sms' } }
    expectCode(await call(409, 'POST', '/v1/threads', again), 'thread_conflict')
    await call(200, 'POST', `/v1/threads/${th}/assign`, { key: KEYS.alice, body: { agent: 'bob' } })
    await call(200, 'PUT', `/v1/threads/${th}/tags`, {
      key: KEYS.alice,
      body: { tags: ['billing'] },
    })
    const close = { key: KEYS.shop, body: {} }
    expectCode(await call(403, 'POST', `/v1/threads/${th}/close`, close), 'forbidden')
    await call(200, 'POST', `/v1/threads/${th}/close`, { key: KEYS.alice })
    const until = new Date(Date.now() + 3_600_000).toISOString()
    const snooze = { key: KEYS.alice, body: { until } }
    expectCode(await call(409, 'POST', `/v1/threads/${th}/snooze`, snooze), 'thread_closed')
    const fresh = await call(201, 'POST', '/v1/threads', {
      key: KEYS.alice,
      body: { contact_id: ct, channel: 'sms', tags: ['vip'] },
    })
    await call(200, 'POST', `/v1/threads/${fresh.body.id}/snooze`, snooze)
    const nobody = { body: { contact_id: 'ct_01jb2m6x3v8k4q9r7s5t1w0y2z', channel: 'sms' } }
    await call(404, 'POST', '/v1/threads', nobody)
    expectCode(
      await call(422, 'POST', '/v1/threads', { body: { contact_id: bo, channel: 'fax' } }),
      'channel_unknown',
    )
    await call(404, 'GET', '/v1/threads/th_01jb2m7c4d5e6f7g8h9j0k1m2p')
    const timeline = await call(200, 'GET', `/v1/contacts/${ct}/timeline`)
    const kinds = new Set(timeline.body.items.map((i: { kind: string }) => i.kind))
    expect(kinds).toEqual(new Set(['message', 'event']))
  })

  it('bulk: dry run, start, progress, cancel, refusals', async () => {
    const body = { contact_ids: [ct, bo], channel: 'sms', text: 'Sale: {{first_name|friend}}!' }
    const dry = await call(200, 'POST', '/v1/bulk', { body: { ...body, dry_run: true } })
    expect(dry.body.total).toBe(2)
    const b = await call(202, 'POST', '/v1/bulk', { body })
    await call(200, 'GET', `/v1/bulk/${b.body.id}`)
    await call(200, 'POST', `/v1/bulk/${b.body.id}/cancel`)
    await call(404, 'GET', '/v1/bulk/bk_01jb2m9a8b7c6d5e4f3g2h1j0k')
    expectCode(
      await call(422, 'POST', '/v1/bulk', { body: { ...body, channel: 'fax' } }),
      'channel_unknown',
    )
    const filter = { filter: { q: 'ana' }, channel: 'sms', template: { name: 'shipped' } }
    await call(200, 'POST', '/v1/bulk', { body: { ...filter, dry_run: true } })
  })

  it('Web Push: the public key and subscriptions (user_hash checked)', async () => {
    const key = (await call(200, 'GET', '/v1/channels/web/push-key', { key: null })).body
    await call(404, 'GET', '/v1/channels/sms/push-key', { key: null })
    const body = {
      external_id: 'user-42',
      user_hash: userHash('site-secret', 'user-42'),
      subscription: push.subscribe(key.vapid_public_key),
      first_name: 'Ana',
    }
    const path = '/v1/channels/web/subscriptions'
    const a = await call(201, 'POST', path, { key: null, body })
    expect(a.body.contact_id).toBe(ct) // the same external_id: the same person
    await call(200, 'POST', path, { key: null, body })
    const forged = { key: null, body: { ...body, user_hash: userHash('other', 'user-42') } }
    expectCode(await call(401, 'POST', path, forged), 'signature_invalid')
  })

  it('web chat: session, history, messages, seen, typing, push (DESIGN §12)', async () => {
    const base = '/v1/channels/chat/webchat'
    const origin = { origin: 'https://shop.example' }
    const session = await call(200, 'POST', `${base}/session`, {
      key: null,
      headers: origin,
      body: { external_id: 'visitor-7', user_hash: userHash('chat-secret', 'visitor-7') },
    })
    const bad = { external_id: 'visitor-7', user_hash: userHash('other', 'visitor-7') }
    expectCode(
      await call(401, 'POST', `${base}/session`, { key: null, headers: origin, body: bad }),
      'user_hash_invalid',
    )
    const foreign = { key: null, headers: { origin: 'https://evil.example' }, body: bad }
    expectCode(await call(403, 'POST', `${base}/session`, foreign), 'origin_not_allowed')
    const bearer = { ...origin, authorization: `Bearer ${session.body.token}` }
    const posted = await call(200, 'POST', `${base}/messages`, {
      key: null,
      headers: bearer,
      body: { text: 'hello from the widget', client_id: 'c-1' },
    })
    await call(200, 'GET', `${base}/messages?token=${session.body.token}`, {
      key: null,
      headers: origin,
    })
    expectCode(
      await call(422, 'POST', `${base}/messages`, {
        key: null,
        headers: bearer,
        body: { text: 'x'.repeat(10_001), client_id: 'c-2' },
      }),
      'text_too_long',
    )
    const reply = await call(202, 'POST', '/v1/messages', {
      body: { thread_id: posted.body.thread_id, text: 'hi there' },
    })
    await call(200, 'POST', `${base}/seen`, {
      key: null,
      headers: bearer,
      body: { up_to: reply.body.id },
    })
    await call(200, 'POST', `${base}/typing`, { key: null, headers: bearer, body: {} })
    const key = (await call(200, 'GET', '/v1/channels/web/push-key', { key: null })).body
    await call(200, 'POST', `${base}/push`, {
      key: null,
      headers: bearer,
      body: { subscription: push.subscribe(key.vapid_public_key) },
    })
    await call(200, 'GET', `/v1/messages/${reply.body.id}`)
  })

  it('consent: read, set by a key, the email one-click link; opted_out refusals', async () => {
    const path = `/v1/contacts/${ct}/consent`
    await call(200, 'GET', path)
    const out = { channel: 'sms', status: 'opted_out', note: 'asked by phone' }
    await call(200, 'PUT', path, { body: out })
    expectCode(await call(400, 'PUT', path, { body: { channel: 'sms' } }), 'invalid_field')
    const send = { contact_id: ct, channel: 'sms', text: 'hi' }
    expectCode(await call(422, 'POST', '/v1/messages', { body: send }), 'opted_out')
    await call(200, 'PUT', path, { body: { channel: 'sms', status: 'opted_in' } })
    // This server's public_url is local (no link in mail): sign one as the daemon would.
    const key = (await t.gw.store.kv.get('system', 'unsubscribe_secret')) ?? ''
    const sig = createHmac('sha256', key).update(`unsubscribe.${ct}.sms`).digest('base64url')
    const link = `/unsubscribe/${ct}.sms.${sig}`
    await call(200, 'GET', link, { key: null })
    await call(200, 'POST', link, { key: null, raw: 'List-Unsubscribe=One-Click' })
    await call(400, 'POST', `${link.slice(0, -2)}xx`, { key: null })
    await call(200, 'PUT', path, { body: { channel: 'sms', status: 'opted_in' } })
  })

  it('data rights: retry, dead letters, export, erase (DESIGN §15)', async () => {
    // A send the relay refuses for good is failed; the operator sends it again.
    relay.enqueue({ kind: 'status', status: 400 })
    const failed = (
      await call(202, 'POST', '/v1/messages', {
        body: { to: { channel: 'sms', address: '+491705550100' }, text: 'once more' },
      })
    ).body
    await expect
      .poll(async () => (await call(200, 'GET', `/v1/messages/${failed.id}`)).body.status, {
        timeout: 5000,
      })
      .toBe('failed')
    await call(202, 'POST', `/v1/messages/${failed.id}/retry`, { key: KEYS.alice })
    expectCode(
      await call(409, 'POST', `/v1/messages/${failed.id}/retry`, { key: KEYS.alice }),
      'message_not_failed',
    )
    await expect
      .poll(async () => (await call(200, 'GET', `/v1/messages/${failed.id}`)).body.status, {
        timeout: 5000,
      })
      .toBe('sent')
    expectCode(
      await call(409, 'POST', `/v1/messages/${failed.id}/retry`, { key: KEYS.alice }),
      'message_already_sent',
    )
    // An event for a webhook no longer configured is given up at once: a dead letter.
    const th = failed.thread_id as string
    const event = {
      id: 'ev_01jb2m7c4d5e6f7g8h9j0k1m2p',
      type: 'thread.closed',
      created_at: new Date().toISOString(),
      data: {},
      targets: ['http://127.0.0.1:9/removed'],
    }
    await t.gw.svc.store.threads.close(th, false, 'ops', new Date().toISOString(), [event])
    const list = async () => (await call(200, 'GET', '/v1/webhooks/deliveries?status=failed')).body
    await expect.poll(async () => (await list()).items.length, { timeout: 5000 }).toBe(1)
    const [dead] = (await list()).items
    await call(202, 'POST', `/v1/webhooks/deliveries/${dead.id}/replay`)
    await call(404, 'POST', `/v1/webhooks/deliveries/${dead.id}/replay`)
    await call(403, 'GET', '/v1/webhooks/deliveries', { key: KEYS.alice })
    const dup = await call(201, 'POST', '/v1/contacts', { body: { first_name: 'Dup' } })
    const into = `/v1/contacts/${failed.contact_id}/merge`
    await call(200, 'POST', into, { body: { from: [dup.body.id] } })
    expectCode(await call(422, 'POST', into, { body: { from: [] } }), 'merge_invalid')
    await call(301, 'GET', `/v1/contacts/${dup.body.id}`)
    await call(301, 'GET', `/v1/contacts/${dup.body.id}/export`)
    await call(200, 'GET', `/v1/contacts/${failed.contact_id}/export`)
    await call(403, 'GET', `/v1/contacts/${failed.contact_id}/export`, { key: KEYS.alice })
    await call(200, 'DELETE', `/v1/contacts/${failed.contact_id}`)
    await call(404, 'DELETE', `/v1/contacts/${failed.contact_id}`)
  })

  it('the rate limit: 429 with Retry-After once a key spent its burst', async () => {
    let last = 0
    for (let n = 0; n <= BURST && last !== 429; n++) {
      const r = await t.call('GET', '/v1/channels', { key: KEYS.bob })
      v.check('GET', '/v1/channels', r.status, r.headers.get('content-type'), r.body)
      last = r.status
      if (last === 429) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
    }
    expect(last).toBe(429)
  })

  it('the checker refuses an undeclared field, a missing field, a wrong type and status', () => {
    const ana = v.checked.find((x) => x.operationId === 'getContact' && x.status === 200)
    expect(ana).toBeDefined()
    const contact = {
      id: 'ct_01jb2m6x3v8k4q9r7s5t1w0y2z',
      first_name: 'Ana',
      last_name: null,
      email: null,
      phone: null,
      external_id: null,
      attributes: {},
      blocked: false,
      identities: [],
      created_at: '2025-03-01T09:12:00.000Z',
      updated_at: '2025-03-01T09:12:00.000Z',
      last_activity_at: '2025-03-01T09:12:00.000Z',
    }
    const check = (status: number, body: unknown) => () =>
      v.check('GET', `/v1/contacts/${contact.id}`, status, 'application/json', body)
    expect(check(200, contact)).not.toThrow()
    expect(check(200, { ...contact, secret_column: 1 })).toThrow(/secret_column/)
    const { blocked: _, ...missing } = contact
    expect(check(200, missing)).toThrow(/blocked/)
    expect(check(200, { ...contact, created_at: 'yesterday' })).toThrow(/date-time/)
    expect(check(202, contact)).toThrow(/does not declare/)
    expect(check(404, { error: { code: 'no_such_code', message: 'x' } })).toThrow(/allowed values/)
  })

  it('every operation was answered 2xx, and every kind of refusal was seen', () => {
    const ops = Object.values(
      v.doc.paths as Record<string, Record<string, { operationId: string }>>,
    )
      .flatMap((item) => Object.values(item).map((op) => op.operationId))
      .filter((id) => !NOT_2XX_HERE.has(id))
    const ok = new Set(v.checked.filter((c) => c.status < 300).map((c) => c.operationId))
    expect(
      ops.filter((id) => !ok.has(id)),
      'operations the scenario never answered 2xx',
    ).toEqual([])
    const statuses = new Set(v.checked.map((c) => c.status))
    for (const s of [400, 401, 403, 404, 409, 413, 422, 429]) expect(statuses).toContain(s)
  })
})
