/**
 * App-webhook dead letters (DESIGN §15), through the daemon with the workers running: a delivery
 * that used up its `retry.attempts` is kept, listed by `GET /v1/webhooks/deliveries?status=failed`
 * (admin only, paged) and replayed by `POST /v1/webhooks/deliveries/{id}/replay` as a fresh
 * delivery of the same event id. Before DESIGN §15 it was dropped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const RELAY_SECRET = 'relay-secret'
const EVENTS_SECRET = 'events-secret'

let events: WebhookReceiver
let t: TestGateway

beforeEach(async () => {
  events = await startWebhookReceiver({ secret: EVENTS_SECRET })
  t = await startGateway(
    `server:
  public_url: http://127.0.0.1:8080
channels:
  sms:
    type: webhook
    url: http://127.0.0.1:9/unused
    secret: ${RELAY_SECRET}
    address: phone
webhooks:
  - url: ${events.url}
    secret: ${EVENTS_SECRET}
    events: [message.inbound]
    retry: { attempts: 2, backoff_max: 50ms }
`,
    { dispatcher: true },
  )
})
afterEach(async () => {
  await t.close()
  await events.close()
})

/** A person writes on `sms`: one `message.inbound` event for the app. */
async function personWrites(id: string): Promise<void> {
  const raw = JSON.stringify({ id, from: { address: '+491707654321' }, text: `hi ${id}` })
  const res = await t.call('POST', '/v1/channels/sms/inbound', {
    key: null,
    raw,
    headers: {
      'content-type': 'application/json',
      'x-omnigate-signature': sign(RELAY_SECRET, raw),
    },
  })
  expect(res.status).toBe(200)
}

const deadLetters = async (query = '?status=failed') =>
  (await t.call('GET', `/v1/webhooks/deliveries${query}`)).body as {
    items: { id: number; event_id: string; type: string; attempts: number; error: string }[]
    next_cursor: string | null
  }

/** Two events the receiver refuses twice each (503): both become dead letters. */
async function twoDeadLetters() {
  events.enqueue(...Array.from({ length: 4 }, () => ({ kind: 'status' as const, status: 503 })))
  await personWrites('in-1')
  await personWrites('in-2')
  await expect.poll(async () => (await deadLetters()).items.length, { timeout: 8000 }).toBe(2)
  return (await deadLetters()).items
}

describe('app-webhook dead letters', () => {
  it('keeps a delivery that used up its retries, listed newest first and paged', async () => {
    const items = await twoDeadLetters()
    expect(events.received).toHaveLength(4)
    expect(items[0]).toMatchObject({
      type: 'message.inbound',
      status: 'failed',
      attempts: 2,
      error: 'HTTP 503',
      url: events.url,
    })
    expect(items[0]!.id).toBeGreaterThan(items[1]!.id)
    const first = await deadLetters('?status=failed&limit=1')
    expect(first.items.map((d) => d.id)).toEqual([items[0]!.id])
    const second = await deadLetters(`?limit=1&cursor=${first.next_cursor}`)
    expect(second.items.map((d) => d.id)).toEqual([items[1]!.id])
    expect(second.next_cursor).toBeNull()
  })

  it('replays a dead letter as a fresh delivery with the same event id, once', async () => {
    const [newest] = await twoDeadLetters()
    const r = await t.call('POST', `/v1/webhooks/deliveries/${newest!.id}/replay`)
    expect(r.status).toBe(202)
    expect(r.body).toMatchObject({ event_id: newest!.event_id, status: 'queued' })
    expect(r.body.id).toEqual(expect.any(Number))
    await events.waitFor((x) => x.received.some((q) => q.outcome === 'ok'), 5000)
    const ok = events.received.filter((q) => q.outcome === 'ok')
    expect(ok.map((q) => q.webhookId)).toEqual([newest!.event_id])
    expect(ok[0]!.signatureValid).toBe(true)
    expect((await deadLetters()).items.map((d) => d.id)).not.toContain(newest!.id)
    const again = await t.call('POST', `/v1/webhooks/deliveries/${newest!.id}/replay`)
    expect(again.status).toBe(404)
  })

  it('answers 404 to an unknown delivery, 400 to another status and 403 to an agent key', async () => {
    expect((await t.call('POST', '/v1/webhooks/deliveries/999999/replay')).status).toBe(404)
    expect((await t.call('POST', '/v1/webhooks/deliveries/abc/replay')).status).toBe(404)
    const pending = await t.call('GET', '/v1/webhooks/deliveries?status=pending')
    expect(pending.status).toBe(400)
    const agent = await t.call('GET', '/v1/webhooks/deliveries', { key: KEYS.alice })
    expect(agent.status).toBe(403)
    const replay = await t.call('POST', '/v1/webhooks/deliveries/1/replay', { key: KEYS.alice })
    expect(replay.status).toBe(403)
  })
})
