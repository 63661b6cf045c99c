/**
 * App webhooks honour an HTTP-date `Retry-After` (RFC 9110 §10.2.3), not only delay-seconds: the
 * worker read the header with `Number()`, so a date was ignored and the retry came at the default
 * backoff (≤ 1 s on the first retry) instead of at the date the receiver asked for.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'

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

describe('app webhooks: Retry-After', () => {
  it('waits for an HTTP-date Retry-After before posting the event again', async () => {
    // A whole second 2–3 s ahead: past the first retry's backoff (≤ 1 s) whatever the jitter.
    const retryAt = Math.ceil((Date.now() + 2000) / 1000) * 1000
    events.enqueue({ kind: 'status', status: 503, retryAfter: new Date(retryAt).toUTCString() })
    await personWrites('sms-ra-1')
    await events.waitFor((r) => r.received.some((x) => x.outcome === 'ok'), 8000)
    const [first, second, ...more] = events.received
    expect(more).toHaveLength(0)
    expect(first!.webhookId).toBe(second!.webhookId)
    expect(second!.at).toBeGreaterThanOrEqual(retryAt)
  })
})
