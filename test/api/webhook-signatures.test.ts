/**
 * Standard Webhooks signatures end to end, in process with the dispatcher running: what we send
 * (channel sends and app webhooks, retries included) verifies with the official `standardwebhooks`
 * library given the documented secret form; what we take (inbound, status) may be signed by that
 * library or the bare way, is refused 401 `signature_expired` outside the 5-minute window, and only
 * the timestamped form passes on a channel with `require_timestamp: true`.
 */
import { Webhook } from 'standardwebhooks'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import {
  startWebhookReceiver,
  type ReceivedRequest,
  type WebhookReceiver,
} from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const RELAY_SECRET = 'relay-secret'
const STRICT_SECRET = 'strict-secret'
const EVENTS_SECRET = 'events-secret'
const MINUTE_S = 60

let relay: WebhookReceiver
let events: WebhookReceiver
let t: TestGateway

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: RELAY_SECRET })
  events = await startWebhookReceiver({ secret: EVENTS_SECRET })
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
    secret: ${RELAY_SECRET}
    address: phone
  strict:
    type: webhook
    url: ${relay.url}
    secret: ${STRICT_SECRET}
    address: phone
    require_timestamp: true
webhooks:
  - url: ${events.url}
    secret: ${EVENTS_SECRET}
    events: [message.inbound]
`,
    { dispatcher: true },
  )
})
afterEach(async () => {
  await t.close()
  await relay.close()
  await events.close()
})

/** What docs/api.md tells a receiver to pass to `new Webhook(…)`. */
const receiverKey = (secret: string) => `whsec_${Buffer.from(secret).toString('base64')}`

/** Verifies a received request the way a receiver does, with the official library. */
function libraryVerify(secret: string, req: ReceivedRequest): unknown {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string') headers[k] = v
  }
  return new Webhook(receiverKey(secret)).verify(req.rawBody, headers)
}

/** Standard Webhooks headers as a relay signs them with the library, `offsetS` off our clock. */
function libraryHeaders(secret: string, id: string, raw: string, offsetS = 0) {
  const at = new Date(Date.now() + offsetS * 1000)
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(receiverKey(secret)).sign(id, at, raw),
  }
}

const bareHeaders = (secret: string, raw: string) => ({
  'content-type': 'application/json',
  'x-omnigate-signature': sign(secret, raw),
})

const post = (path: string, raw: string, headers: Record<string, string>) =>
  t.call('POST', path, { key: null, raw, headers })

const inbound = (id: string, address = '+491707654321') =>
  JSON.stringify({ id, from: { address, first_name: 'Zoe' }, text: `hi ${id}` })

async function sendOn(channel: string): Promise<string> {
  const r = await t.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: { to: { channel, address: '+491701234567' }, text: 'Hello' },
  })
  expect(r.status).toBe(202)
  const id = (r.body as { id: string }).id
  await expect
    .poll(async () => (await t.call('GET', `/v1/messages/${id}`)).body.status, { timeout: 5000 })
    .toBe('sent')
  return id
}

describe('outbound signatures verify with the standardwebhooks library', () => {
  it('channel sends: every attempt, with webhook-id = the message id on each retry', async () => {
    relay.enqueue({ kind: 'status', status: 503 })
    const id = await sendOn('sms')
    expect(relay.received).toHaveLength(2)
    for (const req of relay.received) {
      expect(libraryVerify(RELAY_SECRET, req)).toMatchObject({ id, channel: 'sms' })
      const raw = new Webhook(new TextEncoder().encode(RELAY_SECRET), { format: 'raw' })
      expect(raw.verify(req.rawBody, { ...(req.headers as Record<string, string>) })).toBeTruthy()
      expect(req.webhookId).toBe(id)
      expect(req.idempotencyKey).toBe(id)
      expect(req.signatureValid).toBe(true) // the bare form is still there
      expect(req.standardSignatureValid).toBe(true)
      const ts = Number(req.headers['webhook-timestamp'])
      expect(Math.abs(ts - req.at / 1000)).toBeLessThanOrEqual(2)
    }
    expect(() => libraryVerify('another-secret', relay.received[0]!)).toThrow()
  })

  it('app webhooks: every attempt, with webhook-id = the event id on each retry', async () => {
    events.enqueue({ kind: 'status', status: 503, retryAfter: 0 })
    const raw = inbound('sms-ev-1')
    expect(
      (await post('/v1/channels/sms/inbound', raw, bareHeaders(RELAY_SECRET, raw))).status,
    ).toBe(200)
    await events.waitFor((r) => r.received.filter((x) => x.outcome === 'ok').length === 1)
    expect(events.received).toHaveLength(2)
    const [first, second] = events.received
    for (const req of [first!, second!]) {
      const event = libraryVerify(EVENTS_SECRET, req) as { id: string; type: string }
      expect(event.type).toBe('message.inbound')
      expect(req.webhookId).toBe(event.id)
      expect(req.headers['x-omnigate-event-id']).toBe(event.id)
      expect(req.signatureValid).toBe(true)
      expect(req.standardSignatureValid).toBe(true)
    }
    expect(second!.webhookId).toBe(first!.webhookId)
  })
})

describe('inbound and status take both forms, and refuse a stale timestamp', () => {
  it('inbound: library-signed → 200; a replay inside the window is the same message; bare → 200', async () => {
    const raw = inbound('sms-std-1')
    const headers = libraryHeaders(RELAY_SECRET, 'relay-evt-1', raw)
    const a = await post('/v1/channels/sms/inbound', raw, headers)
    expect(a.status).toBe(200)
    expect(a.body.duplicate).toBe(false)
    const replay = await post('/v1/channels/sms/inbound', raw, headers)
    expect(replay.status).toBe(200)
    expect(replay.body).toMatchObject({ message_id: a.body.message_id, duplicate: true })
    const msgs = await t.call('GET', `/v1/threads/${a.body.thread_id}/messages`)
    expect(msgs.body.items).toHaveLength(1)

    const bare = inbound('sms-bare-1')
    const b = await post('/v1/channels/sms/inbound', bare, bareHeaders(RELAY_SECRET, bare))
    expect(b.status).toBe(200)
    expect(b.body.duplicate).toBe(false)
  })

  it.each([
    ['6 minutes old', -6 * MINUTE_S],
    ['6 minutes in the future', 6 * MINUTE_S],
  ])('inbound signed %s → 401 signature_expired, and nothing is stored', async (_n, offset) => {
    const raw = inbound('sms-late-1')
    const late = await post(
      '/v1/channels/sms/inbound',
      raw,
      libraryHeaders(RELAY_SECRET, 'e1', raw, offset),
    )
    expect(late.status).toBe(401)
    expect(late.body.error.code).toBe('signature_expired')
    // Signed now, the same message is new: the refused one left nothing behind.
    const now = await post('/v1/channels/sms/inbound', raw, libraryHeaders(RELAY_SECRET, 'e1', raw))
    expect(now.status).toBe(200)
    expect(now.body.duplicate).toBe(false)
  })

  it('inbound: a wrong secret or a tampered body → 401 signature_invalid, in either form', async () => {
    const raw = inbound('sms-bad-1')
    for (const headers of [
      libraryHeaders('wrong', 'e2', raw),
      libraryHeaders(RELAY_SECRET, 'e2', inbound('sms-other')),
      bareHeaders('wrong', raw),
      { 'content-type': 'application/json' },
    ]) {
      const r = await post('/v1/channels/sms/inbound', raw, headers)
      expect(r.status).toBe(401)
      expect(r.body.error.code).toBe('signature_invalid')
    }
  })

  it('require_timestamp: true refuses the bare form (401 signature_invalid) and takes the timestamped one', async () => {
    const raw = inbound('strict-1')
    const bare = await post('/v1/channels/strict/inbound', raw, bareHeaders(STRICT_SECRET, raw))
    expect(bare.status).toBe(401)
    expect(bare.body.error.code).toBe('signature_invalid')
    const std = await post(
      '/v1/channels/strict/inbound',
      raw,
      libraryHeaders(STRICT_SECRET, 'e3', raw),
    )
    expect(std.status).toBe(200)
    expect(std.body.duplicate).toBe(false)
    const late = await post(
      '/v1/channels/strict/inbound',
      raw,
      libraryHeaders(STRICT_SECRET, 'e3', raw, -6 * MINUTE_S),
    )
    expect(late.body.error.code).toBe('signature_expired')
  })

  it('status: both forms on a default channel, only the timestamped one with require_timestamp', async () => {
    const sms = await sendOn('sms')
    const delivered = JSON.stringify({ message_id: sms, status: 'delivered' })
    const read = JSON.stringify({ message_id: sms, status: 'read' })
    const late = await post(
      '/v1/channels/sms/status',
      read,
      libraryHeaders(RELAY_SECRET, 's0', read, -6 * MINUTE_S),
    )
    expect(late.status).toBe(401)
    expect(late.body.error.code).toBe('signature_expired')
    const a = await post('/v1/channels/sms/status', delivered, bareHeaders(RELAY_SECRET, delivered))
    expect(a.body).toMatchObject({ status: 'delivered', changed: true })
    const b = await post('/v1/channels/sms/status', read, libraryHeaders(RELAY_SECRET, 's1', read))
    expect(b.body).toMatchObject({ status: 'read', changed: true })

    const strict = await sendOn('strict')
    const raw = JSON.stringify({ message_id: strict, status: 'delivered' })
    const bare = await post('/v1/channels/strict/status', raw, bareHeaders(STRICT_SECRET, raw))
    expect(bare.status).toBe(401)
    expect(bare.body.error.code).toBe('signature_invalid')
    const std = await post(
      '/v1/channels/strict/status',
      raw,
      libraryHeaders(STRICT_SECRET, 's2', raw),
    )
    expect(std.body).toMatchObject({ status: 'delivered', changed: true })
  })
})
