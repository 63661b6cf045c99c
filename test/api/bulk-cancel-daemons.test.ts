/**
 * Cancelling a bulk with two daemons on one PostgreSQL (DESIGN §10): daemon A answers
 * `POST /v1/bulk/{id}/cancel` while daemon B's dispatcher holds the bulk's jobs (leased, waiting in
 * memory for their rate slots). After A's answer, B hands nothing more of the bulk to its channel:
 * only the requests already on the wire still arrive, and the rest is `cancelled`. PostgreSQL only
 * (`OMNIGATE_TEST_STORE=postgres`): one SQLite file is never shared by two daemons.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createConnector } from '../../src/connectors/index.js'
import { newId } from '../../src/gateway/ids.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'
import {
  dropTestDatabase,
  ensureTestDatabase,
  testStoreDialect,
  uniqueDatabaseName,
} from '../helpers/postgres.js'

const CONCURRENCY = 16
const RECIPIENTS = 200

let relay: WebhookReceiver
let database: string
let a: TestGateway
let b: TestGateway
/** Message ids B handed to its channel's connector, and whether A's cancel had answered by then. */
let handedOver: { id: string; afterCancel: boolean }[]
let cancelAnswered: boolean

const config = (url: string): string => `dispatcher:
  concurrency: ${CONCURRENCY}
channels:
  sms:
    type: webhook
    url: ${url}
    secret: sms-secret
    address: phone
    rules:
      rate: { per_second: 40, per_recipient_per_second: 1 }
`

describe.runIf(testStoreDialect() === 'postgres')('cancelling a bulk another daemon sends', () => {
  beforeEach(async () => {
    handedOver = []
    cancelAnswered = false
    // A slow relay: each send stays on the wire for a while.
    relay = await startWebhookReceiver({
      secret: 'sms-secret',
      answer: () => ({ kind: 'slow', delayMs: 800 }),
    })
    database = uniqueDatabaseName('bulk_cancel_daemons')
    const url = await ensureTestDatabase(database)
    a = await startGateway(config(relay.url), { postgresUrl: url, daemonId: 'daemon-a' })
    b = await startGateway(config(relay.url), {
      postgresUrl: url,
      daemonId: 'daemon-b',
      // B's real webhook connector, watched: which sends were handed to it, and when.
      connectorFactory: async (deps, settings) => {
        const c = await createConnector(deps, settings)
        const send = c.send.bind(c)
        c.send = (out) => {
          handedOver.push({ id: out.messageId, afterCancel: cancelAnswered })
          return send(out)
        }
        return c
      },
    })
  })
  afterEach(async () => {
    await b.close()
    await a.close()
    await dropTestDatabase(database)
    await relay.close()
  })

  async function people(n: number): Promise<string[]> {
    const now = new Date().toISOString()
    const ids: string[] = []
    for (let i = 0; i < n; i++) {
      const id = newId('ct')
      const phone = `+49170${1_000_000 + i}`
      await a.gw.store.contacts.create({ id, first_name: `P${i}`, phone }, [], now)
      ids.push(id)
    }
    return ids
  }

  it('after A answers the cancel, B hands nothing more of the bulk over', async () => {
    const r = await a.call('POST', '/v1/bulk', {
      body: { contact_ids: await people(RECIPIENTS), channel: 'sms', text: 'Hi {{first_name}}' },
    })
    expect(r.status).toBe(202)
    const bulkId = r.body.id as string
    await expect
      .poll(async () => (await a.call('GET', `/v1/bulk/${bulkId}`)).body.checked, {
        timeout: 30_000,
      })
      .toBe(RECIPIENTS)
    // Only B dispatches: it leases a batch of the bulk, most of which waits for its rate slot.
    b.gw.outbox.start()
    await relay.waitFor((x) => x.total() >= 10)

    const c = await a.call('POST', `/v1/bulk/${bulkId}/cancel`)
    cancelAnswered = true
    expect(c.status).toBe(200)
    expect(c.body.status).toBe('cancelled')
    const onTheWire = new Set(handedOver.map((h) => h.id))
    const receivedBefore = relay.total()
    // Long enough for B's held jobs to have reached their slots, and the slow answers to return.
    await new Promise((resolve) => setTimeout(resolve, 2000))

    expect(handedOver.filter((h) => h.afterCancel)).toEqual([])
    const arrivedAfter = relay.received.slice(receivedBefore)
    expect(arrivedAfter.length).toBeLessThanOrEqual(CONCURRENCY)
    for (const x of arrivedAfter) expect(onTheWire.has(x.idempotencyKey ?? '')).toBe(true)
    expect(handedOver.length).toBeLessThan(RECIPIENTS)

    // B's jobs that were held back end `cancelled`, and the bulk finishes with counts that add up.
    await expect
      .poll(async () => (await a.call('GET', `/v1/bulk/${bulkId}`)).body.finished_at, {
        timeout: 10_000,
      })
      .toEqual(expect.any(String))
    const done = (await a.call('GET', `/v1/bulk/${bulkId}`)).body
    const sent = relay.acceptedByKey.size
    expect(done).toMatchObject({
      status: 'cancelled',
      counts: { queued: 0, sending: 0, failed: 0, sent, cancelled: RECIPIENTS - sent },
    })
  }, 90_000)
})
