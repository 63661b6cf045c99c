/**
 * The webhook channel end to end, in process with the dispatcher running: send → signed POST to a
 * local relay → sent with the platform id; retries with Retry-After; failures; signed inbound and
 * status; attachments with signed links; app webhooks.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

let relay: WebhookReceiver
let events: WebhookReceiver
let t: TestGateway

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
  events = await startWebhookReceiver({ secret: 'events-secret' })
  t = await startGateway(
    `server:
  public_url: http://127.0.0.1:8080
dispatcher:
  backoff_base: 50ms
  backoff_max: 200ms
  max_attempts: 3
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
webhooks:
  - url: ${events.url}
    secret: events-secret
    events: [message.status, message.inbound, thread.opened]
`,
    { dispatcher: true },
  )
})
afterEach(async () => {
  await t.close()
  await relay.close()
  await events.close()
})

async function send(body: Record<string, unknown>) {
  const r = await t.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: { to: { channel: 'sms', address: '+491701234567', first_name: 'Ana' }, ...body },
  })
  expect(r.status).toBe(202)
  return r.body as { id: string; thread_id: string; contact_id: string }
}

const statusOf = async (id: string) =>
  (await t.call('GET', `/v1/messages/${id}`)).body.status as string

describe('webhook channel', () => {
  it('delivers a signed request with the documented body and records sent with the platform id', async () => {
    const m = await send({ text: 'Hello {{first_name}}' })
    await expect.poll(() => statusOf(m.id), { timeout: 5000 }).toBe('sent')
    const req = relay.received[0]
    expect(req?.signatureValid).toBe(true)
    expect(req?.idempotencyKey).toBe(m.id)
    expect(req?.json).toMatchObject({
      id: m.id,
      channel: 'sms',
      thread_id: m.thread_id,
      to: { address: '+491701234567', contact_id: m.contact_id, first_name: 'Ana' },
      text: 'Hello Ana',
    })
    const got = await t.call('GET', `/v1/messages/${m.id}`)
    expect(got.body.platform_message_id).toBe(`pm_${m.id}`)
    expect(got.body.status_history.map((h: { status: string }) => h.status)).toEqual([
      'queued',
      'sending',
      'sent',
    ])
  })

  it('waits for Retry-After before trying again, then succeeds', async () => {
    relay.enqueue({ kind: 'status', status: 429, retryAfter: 1 })
    const m = await send({ text: 'later' })
    await expect.poll(() => statusOf(m.id), { timeout: 6000 }).toBe('sent')
    const [first, second] = relay.received
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990)
  })

  it('fails for good on a 4xx, with the error on the message', async () => {
    relay.enqueue({ kind: 'status', status: 400, body: 'bad number' })
    const m = await send({ text: 'x' })
    await expect.poll(() => statusOf(m.id), { timeout: 5000 }).toBe('failed')
    const got = await t.call('GET', `/v1/messages/${m.id}`)
    expect(got.body.error.code).toBe('http_400')
    expect(relay.total()).toBe(1)
  })

  it('gives up after max_attempts on repeated 5xx', async () => {
    relay.setAnswer(() => ({ kind: 'status', status: 503 }))
    const m = await send({ text: 'x' })
    await expect.poll(() => statusOf(m.id), { timeout: 5000 }).toBe('failed')
    expect(relay.total()).toBe(3)
  })

  it('attachments go out as signed links that work without a key, and not when tampered', async () => {
    const m = await send({
      text: 'see file',
      attachments: [
        {
          filename: 'a.txt',
          content_type: 'text/plain',
          data: Buffer.from('hello file').toString('base64'),
        },
      ],
    })
    await expect.poll(() => statusOf(m.id), { timeout: 5000 }).toBe('sent')
    const att = (relay.received[0]?.json as { attachments: { url: string; size: number }[] })
      .attachments[0]!
    expect(att.size).toBe(10)
    const url = new URL(att.url)
    const ok = await t.call('GET', url.pathname + url.search, { key: null })
    expect(ok.status).toBe(200)
    expect(ok.body).toBe('hello file')
    // Change the signature's first character to a different one (replacing it with a fixed 'A'
    // left the link intact whenever the signature began with 'A': one run in 64).
    const tampered = url.search.replace(/sig=(.)/, (_, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`)
    expect(tampered).not.toBe(url.search)
    const bad = await t.call('GET', url.pathname + tampered, { key: null })
    expect(bad.status).toBe(401)
    const nokey = await t.call('GET', url.pathname, { key: null })
    expect(nokey.status).toBe(401)
  })

  it('refuses attachment URLs that point at loopback unless allowed', async () => {
    const r = await t.call('POST', '/v1/messages', {
      body: {
        to: { channel: 'sms', address: '+491701234567' },
        text: 'x',
        attachments: [{ filename: 'a', content_type: 'text/plain', url: `${relay.url}/file` }],
      },
    })
    expect(r.status).toBe(422)
    expect(r.body.error.code).toBe('url_forbidden')
  })

  it('inbound: signed → stored once (same id again is a no-op), unsigned → 401', async () => {
    const raw = JSON.stringify({
      id: 'sms-1',
      from: { address: '+49 170 7654321', first_name: 'Zoe' },
      text: 'hi there',
    })
    const headers = {
      'content-type': 'application/json',
      'x-omnigate-signature': sign('relay-secret', raw),
    }
    const a = await t.call('POST', '/v1/channels/sms/inbound', { key: null, raw, headers })
    expect(a.status).toBe(200)
    const b = await t.call('POST', '/v1/channels/sms/inbound', { key: null, raw, headers })
    expect(b.body).toMatchObject({
      message_id: a.body.message_id,
      contact_id: a.body.contact_id,
      thread_id: a.body.thread_id,
    })
    const msgs = await t.call('GET', `/v1/threads/${a.body.thread_id}/messages`)
    expect(msgs.body.items).toHaveLength(1)
    expect(msgs.body.items[0]).toMatchObject({
      direction: 'in',
      text: 'hi there',
      address: '+491707654321',
    })
    const bad = await t.call('POST', '/v1/channels/sms/inbound', {
      key: null,
      raw,
      headers: { ...headers, 'x-omnigate-signature': sign('wrong', raw) },
    })
    expect(bad.status).toBe(401)
    expect(bad.body.error.code).toBe('signature_invalid')
    await events.waitFor((r) =>
      r.received.some((x) => (x.json as { type: string }).type === 'message.inbound'),
    )
    const ev = events.received.find((x) => (x.json as { type: string }).type === 'message.inbound')
    expect(ev?.signatureValid).toBe(true)
    expect(ev?.json).toMatchObject({
      id: expect.stringMatching(/^ev_/),
      data: { message_id: a.body.message_id },
    })
  })

  it('status: delivered then read move forward; a late delivered is ignored', async () => {
    const m = await send({ text: 'x' })
    await expect.poll(() => statusOf(m.id), { timeout: 5000 }).toBe('sent')
    const post = (body: object) => {
      const raw = JSON.stringify(body)
      return t.call('POST', '/v1/channels/sms/status', {
        key: null,
        raw,
        headers: {
          'content-type': 'application/json',
          'x-omnigate-signature': sign('relay-secret', raw),
        },
      })
    }
    expect((await post({ platform_message_id: `pm_${m.id}`, status: 'read' })).body).toMatchObject({
      status: 'read',
      changed: true,
    })
    expect((await post({ message_id: m.id, status: 'delivered' })).body).toMatchObject({
      status: 'read',
      changed: false,
    })
    await events.waitFor(
      (r) =>
        r.received.filter((x) => (x.json as { type: string }).type === 'message.status').length >=
        2,
    )
  })
})
