/**
 * Operator retry (DESIGN §15), through the daemon with the dispatcher running: a message the relay
 * refused is `failed`; `POST /v1/messages/{id}/retry` sends it again under the same id, the rules
 * asked again now, the earlier try kept in its status history and a `retried` event in the
 * timeline. Anything but a failed message → 409 with a code; unknown → 404.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

let relay: WebhookReceiver
let t: TestGateway

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
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
`,
    { dispatcher: true },
  )
})
afterEach(async () => {
  await t.close()
  await relay.close()
})

async function send(text: string) {
  const r = await t.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: { to: { channel: 'sms', address: '+491701234567' }, text },
  })
  expect(r.status).toBe(202)
  return r.body as { id: string; thread_id: string; contact_id: string }
}

const statusOf = async (id: string) =>
  (await t.call('GET', `/v1/messages/${id}`)).body.status as string

/** A message the relay refused for good (400): `failed` after one try. */
async function failedMessage() {
  relay.enqueue({ kind: 'status', status: 400, body: '{"error":"bad number"}' })
  const m = await send('hello')
  await expect.poll(() => statusOf(m.id), { timeout: 5000 }).toBe('failed')
  return m
}

const retry = (id: string, key: string = KEYS.alice) =>
  t.call('POST', `/v1/messages/${id}/retry`, { key })

describe('POST /v1/messages/{id}/retry', () => {
  it('sends a failed message again under the same id, with attempts reset and history kept', async () => {
    const m = await failedMessage()
    const r = await retry(m.id)
    expect(r.status).toBe(202)
    expect(r.body).toMatchObject({ id: m.id, status: 'queued', attempts: 0, error: null })
    await expect.poll(() => statusOf(m.id), { timeout: 5000 }).toBe('sent')
    // The relay saw the same message id (its idempotency key) twice.
    expect(relay.received.map((x) => x.idempotencyKey)).toEqual([m.id, m.id])
    const got = (await t.call('GET', `/v1/messages/${m.id}`)).body
    expect(got.status_history.map((h: { status: string }) => h.status)).toEqual([
      'queued',
      'sending',
      'failed',
      'queued',
      'sending',
      'sent',
    ])
    expect(got.error).toBeNull()
    const timeline = (await t.call('GET', `/v1/contacts/${m.contact_id}/timeline`)).body
    const retried = timeline.items.filter(
      (i: { kind: string; event?: { type: string } }) => i.event?.type === 'retried',
    )
    expect(retried).toHaveLength(1)
    expect(retried[0].event).toMatchObject({ actor: 'alice', data: { message_id: m.id } })
  })

  it('asks the rules again now: a contact blocked since the failure is refused with its code', async () => {
    const m = await failedMessage()
    const p = await t.call('PATCH', `/v1/contacts/${m.contact_id}`, { body: { blocked: true } })
    expect(p.status).toBe(200)
    const r = await retry(m.id)
    expect(r.status).toBe(422)
    expect(r.body.error.code).toBe('contact_blocked')
    expect(await statusOf(m.id)).toBe('failed')
    expect(relay.received).toHaveLength(1)
  })

  it('refuses a sent message with 409 message_already_sent', async () => {
    const m = await send('hello')
    await expect.poll(() => statusOf(m.id), { timeout: 5000 }).toBe('sent')
    const r = await retry(m.id)
    expect(r.status).toBe(409)
    expect(r.body.error).toMatchObject({
      code: 'message_already_sent',
      details: { status: 'sent' },
    })
    expect(relay.received).toHaveLength(1)
  })

  it('refuses a message still queued with 409 message_not_failed', async () => {
    relay.enqueue({ kind: 'slow', delayMs: 1500 })
    const m = await send('hello')
    const r = await retry(m.id)
    expect(r.status).toBe(409)
    expect(r.body.error.code).toBe('message_not_failed')
    expect(['queued', 'sending']).toContain(r.body.error.details.status)
  })

  it('answers 404 for an unknown message, and 403 to an app key', async () => {
    const r = await retry('msg_01jzzzzzzzzzzzzzzzzzzzzzzz')
    expect(r.status).toBe(404)
    expect(r.body.error.code).toBe('not_found')
    const m = await failedMessage()
    const app = await retry(m.id, KEYS.shop)
    expect(app.status).toBe(403)
  })
})
