/**
 * `GET /v1/stream` through the real app and store: who may open it, events published only once
 * their change is committed (checked against the store at publish time), events no app webhook
 * asked for still reach the stream while the webhook queue stays as it was, and a client that
 * stops reading is dropped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import type { InProcessBus, LiveEvent } from '../../src/gateway/live/bus.js'
import { MAX_BUFFERED_EVENTS } from '../../src/gateway/live/stream.js'
import { canAdvance } from '../../src/store/core/message-status.js'
import type { MessageStatus } from '../../src/store/types.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

let relay: WebhookReceiver
let t: TestGateway

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: 'sms-secret' })
  t = await startGateway(
    `server:
  public_url: http://127.0.0.1:9
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: sms-secret
    address: phone
`,
    { dispatcher: true },
  )
})
afterEach(async () => {
  await t.close()
  await relay.close()
})

const bus = (): InProcessBus => t.gw.svc.live as InProcessBus

async function open(key: string): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const res = await t.gw.app.request('/v1/stream', { headers: { authorization: `Bearer ${key}` } })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
  return res.body!.getReader()
}

/** Reads frames until one of `type` arrives; returns its event. */
async function next(r: ReadableStreamDefaultReader<Uint8Array>, type: string): Promise<LiveEvent> {
  const dec = new TextDecoder()
  let buf = ''
  for (;;) {
    const { value, done } = await r.read()
    if (done) throw new Error(`stream ended before ${type}`)
    buf += dec.decode(value)
    for (const frame of buf.split('\n\n')) {
      const data = frame.split('\n').find((l) => l.startsWith('data: '))
      if (frame.includes(`event: ${type}\n`) && data) return JSON.parse(data.slice(6)) as LiveEvent
    }
  }
}

async function inbound(id: string, text: string) {
  const raw = JSON.stringify({ id, from: { address: '+49 170 7654321', first_name: 'Zoe' }, text })
  const headers = {
    'content-type': 'application/json',
    'x-omnigate-signature': sign('sms-secret', raw),
  }
  return t.call('POST', '/v1/channels/sms/inbound', { key: null, raw, headers })
}

describe('GET /v1/stream', () => {
  it('needs an agent or admin key: none → 401, an app key → 403', async () => {
    expect((await t.call('GET', '/v1/stream', { key: null })).body.error.code).toBe('unauthorized')
    const app = await t.call('GET', '/v1/stream', { key: KEYS.shop })
    expect(app.status).toBe(403)
    expect(app.body.error.code).toBe('forbidden')
    const admin = await open(KEYS.admin)
    await admin.cancel()
  })

  it('pushes inbound messages, statuses and thread changes, each after its commit', async () => {
    // At publish time, the change each event reports must already be readable in the store.
    // The reads start at publish time (on the store's read side, which sees committed rows only).
    const committed: Promise<boolean>[] = []
    bus().subscribe((events) => {
      for (const e of events) {
        const { message_id, thread_id } = e.data as { message_id?: string; thread_id: string }
        const thread = t.gw.store.threads.get(thread_id)
        const message = message_id ? t.gw.store.messages.get(message_id) : Promise.resolve(null)
        committed.push(
          Promise.all([thread, message]).then(
            ([th, m]) =>
              th !== null &&
              (message_id === undefined || m !== null) &&
              (e.type !== 'thread.closed' || th.status === 'closed') &&
              // At that status or already past it: an event goes out once its commit is on
              // disk, and the dispatcher may lease the message in that millisecond.
              (e.type !== 'message.status' ||
                (m !== null &&
                  (m.status === e.data.status ||
                    canAdvance(e.data.status as MessageStatus, m.status)))),
          ),
        )
      }
    })
    const r = await open(KEYS.alice)
    const a = await inbound('sms-1', 'hello there')
    const got = await next(r, 'message.inbound')
    expect(got.data).toMatchObject({
      message_id: a.body.message_id,
      contact_id: a.body.contact_id,
      text: 'hello there',
    })

    const sent = await t.call('POST', '/v1/messages', {
      key: KEYS.alice,
      body: { contact_id: a.body.contact_id, text: 'hi Zoe' },
    })
    expect(sent.status).toBe(202)
    expect((await next(r, 'message.status')).data).toMatchObject({
      message_id: sent.body.id,
      status: 'queued',
    })
    // The dispatcher hands it to the relay and records `sent`.
    for (;;) {
      const s = await next(r, 'message.status')
      if (s.data.status === 'sent' && s.data.message_id === sent.body.id) break
    }

    await t.call('POST', `/v1/threads/${a.body.thread_id}/close`, { key: KEYS.alice, body: {} })
    expect((await next(r, 'thread.closed')).data).toMatchObject({
      thread_id: a.body.thread_id,
      status: 'closed',
      by: 'alice',
    })
    await r.cancel()
    expect(committed.length).toBeGreaterThanOrEqual(4)
    expect((await Promise.all(committed)).every(Boolean)).toBe(true)
    // No app webhook is configured: the stream got every event, the webhook queue nothing.
    expect(await t.gw.store.webhooks.depth()).toBe(0)
  })

  it('drops a client that stops reading, and frees its subscription on disconnect', async () => {
    const before = bus().size
    const idle = await open(KEYS.alice)
    const reading = await open(KEYS.bob)
    expect(bus().size).toBe(before + 2)
    for (let i = 0; i <= MAX_BUFFERED_EVENTS; i++) {
      t.gw.svc.live.publish([
        { id: `ev_${i}`, type: 'message.inbound', created_at: 'now', data: { i } },
      ])
      if (i % 50 === 0) await reading.read() // this one keeps up
    }
    expect(bus().size).toBe(before + 1)
    await expect(idle.read()).rejects.toThrow(/too slow/)
    await reading.cancel()
    expect(bus().size).toBe(before)
  })
})
