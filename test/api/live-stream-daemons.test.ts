/**
 * Live streams across daemons (DESIGN §10, §13): two gateways on ONE PostgreSQL database; a
 * console streaming from gateway B sees what gateway A committed — an inbound message, a send
 * accepted there and its status moving as A's dispatcher hands it to the platform.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import type { LiveEvent } from '../../src/gateway/live/bus.js'
import type { SharedBus } from '../../src/gateway/live/shared-bus.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'
import { readSse } from '../helpers/sse.js'
import {
  createTestDatabase,
  dropTestDatabase,
  testStoreDialect,
  uniqueDatabaseName,
} from '../helpers/postgres.js'

const config = (relay: string) => `server:
  public_url: http://127.0.0.1:9
channels:
  sms:
    type: webhook
    url: ${relay}
    secret: sms-secret
    address: phone
`

/** Reads the stream in the background; every event that arrived so far (its data: a LiveEvent). */
function collect(body: ReadableStream<Uint8Array>): { events: LiveEvent[]; stop(): Promise<void> } {
  const sse = readSse(body)
  return {
    get events() {
      return sse.events.map((e) => e.data as unknown as LiveEvent)
    },
    stop: () => sse.stop(),
  }
}

describe.runIf(testStoreDialect() === 'postgres')('GET /v1/stream across daemons', () => {
  let relay: WebhookReceiver | undefined
  let a: TestGateway | undefined
  let b: TestGateway | undefined
  let database = ''
  afterEach(async () => {
    await b?.close()
    await a?.close()
    await relay?.close()
    if (database) await dropTestDatabase(database)
    a = b = relay = undefined
  })

  it("a console on gateway B sees gateway A's inbound message, send and status changes", async () => {
    relay = await startWebhookReceiver({ secret: 'sms-secret' })
    database = uniqueDatabaseName('live2')
    const url = await createTestDatabase(database)
    a = await startGateway(config(relay.url), { postgresUrl: url, dispatcher: true })
    b = await startGateway(config(relay.url), { postgresUrl: url, dispatcher: false })
    const busB = b.gw.svc.live as SharedBus
    await expect.poll(() => busB.listenCount).toBeGreaterThanOrEqual(1)

    const res = await b.gw.app.request('/v1/stream', {
      headers: { authorization: `Bearer ${KEYS.alice}` },
    })
    expect(res.status).toBe(200)
    const stream = collect(res.body!)
    try {
      const raw = JSON.stringify({ id: 'sms-1', from: { address: '+49 170 7654321' }, text: 'hi' })
      const headers = {
        'content-type': 'application/json',
        'x-omnigate-signature': sign('sms-secret', raw),
      }
      const inbound = await a.call('POST', '/v1/channels/sms/inbound', { key: null, raw, headers })
      expect(inbound.status).toBeLessThan(300)
      await expect
        .poll(() => stream.events.find((e) => e.type === 'message.inbound')?.data.message_id)
        .toBe(inbound.body.message_id)

      const sent = await a.call('POST', '/v1/messages', {
        key: KEYS.alice,
        body: { contact_id: inbound.body.contact_id, text: 'hello from A' },
      })
      expect(sent.status).toBe(202)
      const statuses = () =>
        stream.events
          .filter((e) => e.type === 'message.status' && e.data.message_id === sent.body.id)
          .map((e) => e.data.status)
      await expect.poll(statuses, { timeout: 10_000 }).toEqual(['queued', 'sent'])
      // Each event once: B's own notifications are not echoed, A's are delivered once.
      const ids = stream.events.map((e) => e.id)
      expect(new Set(ids).size).toBe(ids.length)
    } finally {
      await stream.stop()
    }
  })
})
