/**
 * Cancelling a bulk while the dispatcher holds its jobs: leased in a batch and waiting in memory
 * for their rate slot, or waiting on a retry (the relay answered 503 with Retry-After). After the
 * cancel answers, nothing more of the bulk is handed to the channel: only the requests already on
 * the wire still arrive (at most the dispatcher's concurrency), every other message is
 * `cancelled`, and the bulk finishes `cancelled` with one `bulk.done` whose counts add up.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createConnector } from '../../src/connectors/index.js'
import { newId } from '../../src/gateway/ids.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'

const CONCURRENCY = 32
const RECIPIENTS = 300
/** The first requests the relay refuses for now: their jobs wait on a retry at cancel time. */
const REFUSED = 8

let relay: WebhookReceiver
let t: TestGateway
/** Message ids handed to the channel's connector, and whether the cancel had answered by then. */
let handedOver: { id: string; afterCancel: boolean }[]
let cancelAnswered: boolean

beforeEach(async () => {
  handedOver = []
  cancelAnswered = false
  relay = await startWebhookReceiver({
    secret: 'sms-secret',
    // A slow relay, so sends stay on the wire for a while; the first few are refused for a second.
    answer: () =>
      relay.total() <= REFUSED
        ? { kind: 'status', status: 503, retryAfter: 1 }
        : { kind: 'slow', delayMs: 1500 },
  })
  t = await startGateway(
    `dispatcher:
  concurrency: ${CONCURRENCY}
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: sms-secret
    address: phone
    rules:
      rate: { per_second: 100, per_recipient_per_second: 1 }
# Never called here (the app-webhook worker runs with the dispatcher): the test reads the queue.
webhooks:
  - url: http://127.0.0.1:9/events
    secret: events-secret
    events: [bulk.done]
`,
    {
      dispatcher: false,
      // The real webhook connector, watched: which sends were handed to it, and when.
      connectorFactory: async (deps, settings) => {
        const c = await createConnector(deps, settings)
        const send = c.send.bind(c)
        c.send = (out) => {
          handedOver.push({ id: out.messageId, afterCancel: cancelAnswered })
          return send(out)
        }
        return c
      },
    },
  )
})
afterEach(async () => {
  await t.close()
  await relay.close()
})

async function people(n: number): Promise<string[]> {
  const { store } = t.gw
  const now = new Date().toISOString()
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const id = newId('ct')
    await store.contacts.create(
      { id, first_name: `P${i}`, phone: `+49170${1_000_000 + i}` },
      [],
      now,
    )
    ids.push(id)
  }
  return ids
}

const progress = async (id: string) => (await t.call('GET', `/v1/bulk/${id}`)).body
const message = async (id: string) => (await t.call('GET', `/v1/messages/${id}`)).body

describe('cancelling a bulk the dispatcher is working on', () => {
  it('sends nothing more but what is on the wire; the rest is cancelled, counts add up', async () => {
    const r = await t.call('POST', '/v1/bulk', {
      body: { contact_ids: await people(RECIPIENTS), channel: 'sms', text: 'Hi {{first_name}}' },
    })
    expect(r.status).toBe(202)
    const bulkId = r.body.id as string
    // The first chunk is checked before the 202, the rest in the background: on PostgreSQL on a
    // loaded machine that takes more than poll's default second.
    await expect
      .poll(async () => (await progress(bulkId)).checked, { timeout: 30_000 })
      .toBe(RECIPIENTS)
    // The bulk is paced at 80/s from its creation: after a second, a backlog is due, and the
    // dispatcher leases a batch of it at once, most of which waits in memory for its rate slot.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    t.gw.outbox.start()

    await relay.waitFor((x) => x.total() >= REFUSED + 10)
    const refused = relay.received.slice(0, REFUSED).map((x) => x.idempotencyKey ?? '')
    // Refused with Retry-After: 1 s, so they are waiting on their retry now.
    expect((await message(refused[0] ?? '')).error).toMatchObject({ code: 'http_503' })

    const c = await t.call('POST', `/v1/bulk/${bulkId}/cancel`)
    cancelAnswered = true
    expect(c.status).toBe(200)
    expect(c.body.status).toBe('cancelled')
    const onTheWire = new Set(handedOver.map((h) => h.id))
    const receivedBefore = relay.total()
    // Long enough for the retries (1 s) and the slow answers (1.5 s) to have come and gone.
    await new Promise((resolve) => setTimeout(resolve, 2500))

    expect(handedOver.filter((h) => h.afterCancel)).toEqual([])
    const arrivedAfter = relay.received.slice(receivedBefore)
    expect(arrivedAfter.length).toBeLessThanOrEqual(CONCURRENCY)
    for (const a of arrivedAfter) expect(onTheWire.has(a.idempotencyKey ?? '')).toBe(true)
    // Jobs were held back from the wire by the cancel (leased, or due again after their retry).
    expect(handedOver.length).toBeLessThan(RECIPIENTS)

    await expect
      .poll(async () => (await progress(bulkId)).finished_at, { timeout: 20_000 })
      .toEqual(expect.any(String))
    const done = await progress(bulkId)
    const sent = relay.acceptedByKey.size
    expect(done).toMatchObject({
      status: 'cancelled',
      eligible: RECIPIENTS,
      counts: { queued: 0, sending: 0, failed: 0, sent, cancelled: RECIPIENTS - sent },
    })
    for (const id of refused) {
      const m = await message(id)
      expect(m.status).toBe(relay.acceptedByKey.has(id) ? 'sent' : 'cancelled')
    }
    // bulk.done was queued with the finish, once (the app-webhook worker is off in this test).
    await new Promise((resolve) => setTimeout(resolve, 600)) // a few more runner rounds
    const queued = await t.gw.store.webhooks.lease(Date.now(), 100, 60_000)
    const doneEvents = queued
      .map((d) => JSON.parse(d.payload))
      .filter((e) => e.type === 'bulk.done')
    expect(doneEvents).toHaveLength(1)
    expect(doneEvents[0]).toMatchObject({
      data: { bulk_id: bulkId, status: 'cancelled', counts: done.counts },
    })
  }, 90_000)
})
