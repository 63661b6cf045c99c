/**
 * Scheduled sends through the daemon (DESIGN §14): `send_at` holds the message in the outbox,
 * the rules are checked at request time and again when its time comes, a restart keeps it, and
 * `POST /v1/messages/{id}/cancel` takes back what is not on the wire. The rules' clock and the
 * dispatcher's lease clock are the test's: moving them makes a scheduled send due, no sleeping.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const HOUR = 3600_000

let relay: WebhookReceiver
let t: TestGateway
let clock: Date

const config = () => `server:
  public_url: http://127.0.0.1:8080
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
  chat:
    type: webhook
    url: ${relay.url}
    secret: chat-secret
    address: any
    rules:
      window: { duration: 24h, after: deny }
`

/** Both clocks: the rules' (`now`) and the dispatcher's lease clock. */
const clocks = () => ({ now: () => clock, leaseClock: () => clock.getTime() })

beforeEach(async () => {
  // Ahead of the wall clock: the dispatcher's own wall-clock delays (a channel not ready yet) are
  // then due at once on the test's clock.
  clock = new Date('2027-01-12T10:00:00.000Z')
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
  t = await startGateway(config(), { dispatcher: true, ...clocks() })
})
afterEach(async () => {
  await t.close()
  await relay.close()
})

const later = (ms: number) => new Date(clock.getTime() + ms).toISOString()

async function send(body: Record<string, unknown>) {
  return t.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: { to: { channel: 'sms', address: '+491701234567', first_name: 'Ana' }, ...body },
  })
}

const message = async (id: string) => (await t.call('GET', `/v1/messages/${id}`)).body

/** Moves both clocks and wakes the dispatcher. */
function advance(ms: number): void {
  clock = new Date(clock.getTime() + ms)
  t.gw.outbox.kick()
}

/** The contact writes on `chat` (opens its 24 h window). */
async function inboundChat(from: string, id: string) {
  const raw = JSON.stringify({ id, from: { address: from, first_name: 'Bo' }, text: 'hi' })
  const r = await t.call('POST', '/v1/channels/chat/inbound', {
    key: null,
    raw,
    headers: {
      'content-type': 'application/json',
      'x-omnigate-signature': sign('chat-secret', raw),
    },
  })
  expect(r.status).toBe(200)
  return r.body as { contact_id: string }
}

describe('send_at', () => {
  it('holds the message queued with its send_at, and delivers it when its time comes', async () => {
    const at = later(2 * HOUR)
    const r = await send({ text: 'Your appointment is tomorrow', send_at: at })
    expect(r.status).toBe(202)
    expect(r.body).toMatchObject({ status: 'queued', send_at: at })
    expect(await t.gw.store.outbox.nextDue()).toBe(Date.parse(at))
    expect(await message(r.body.id)).toMatchObject({ status: 'queued', send_at: at })
    const tl = await t.call('GET', `/v1/contacts/${r.body.contact_id}/timeline`)
    const held = tl.body.items.find((it: { kind: string }) => it.kind === 'message')
    expect(held.message).toMatchObject({ id: r.body.id, send_at: at })

    // An hour on, a send made now goes out (the dispatcher leased at that time); the held one waits.
    advance(HOUR)
    const other = await send({ text: 'now' })
    await expect
      .poll(async () => (await message(other.body.id)).status, { timeout: 5000 })
      .toBe('sent')
    expect((await message(r.body.id)).status).toBe('queued')

    advance(HOUR + 1000)
    await expect.poll(async () => (await message(r.body.id)).status, { timeout: 5000 }).toBe('sent')
    expect(relay.received.map((q) => (q.json as { text: string }).text)).toEqual([
      'now',
      'Your appointment is tomorrow',
    ])
  })

  it('sends at once when send_at is in the past', async () => {
    const r = await send({ text: 'now', send_at: later(-HOUR) })
    expect(r.status).toBe(202)
    expect(r.body.send_at).toBeNull()
    await expect.poll(async () => (await message(r.body.id)).status, { timeout: 5000 }).toBe('sent')
  })

  it('refuses a time more than a year ahead (422) and a malformed one (400), naming send_at', async () => {
    const far = await send({ text: 'x', send_at: later(367 * 24 * HOUR) })
    expect(far.status).toBe(422)
    expect(far.body.error).toMatchObject({ code: 'invalid_field', details: { field: 'send_at' } })
    for (const bad of ['tomorrow', '2027-01-13T09:00:00']) {
      const r = await send({ text: 'x', send_at: bad })
      expect(r.status).toBe(400)
      expect(r.body.error.code).toBe('invalid_field')
      expect(JSON.stringify(r.body.error)).toContain('send_at')
    }
    expect(await t.gw.store.outbox.depth()).toBe(0)
  })

  it('refuses now what can never pass then: a blocked contact', async () => {
    const c = await t.call('POST', '/v1/contacts', {
      body: { first_name: 'Cy', phone: '+491709999999', blocked: true },
    })
    const r = await t.call('POST', '/v1/messages', {
      body: { contact_id: c.body.id, channel: 'sms', text: 'x', send_at: later(HOUR) },
    })
    expect(r.status).toBe(422)
    expect(r.body.error.code).toBe('contact_blocked')
  })

  it('accepts a send whose window is closed now but checks it again at send_at', async () => {
    // The contact wrote 25 h ago: the window is closed now; an immediate send is refused …
    const { contact_id } = await inboundChat('bo-1', 'in-1')
    advance(25 * HOUR)
    const now = await t.call('POST', '/v1/messages', {
      body: { contact_id, channel: 'chat', text: 'x' },
    })
    expect(now.body.error.code).toBe('window_closed')
    // … a scheduled one is accepted, as the contact may write before then.
    const r = await t.call('POST', '/v1/messages', {
      body: { contact_id, channel: 'chat', text: 'See you', send_at: later(2 * HOUR) },
    })
    expect(r.status).toBe(202)
    advance(2 * HOUR)
    await expect
      .poll(async () => (await message(r.body.id)).status, { timeout: 5000 })
      .toBe('failed')
    expect((await message(r.body.id)).error.code).toBe('window_closed')
    expect(relay.total()).toBe(0)
  })

  it('sends at send_at when the contact wrote meanwhile, and fails with the code when the window closed by then', async () => {
    const { contact_id } = await inboundChat('bo-2', 'in-2')
    const ok = await t.call('POST', '/v1/messages', {
      body: { contact_id, channel: 'chat', text: 'ok', send_at: later(30 * HOUR) },
    })
    expect(ok.status).toBe(202)
    advance(28 * HOUR)
    await inboundChat('bo-2', 'in-3') // a fresh window until +52 h
    advance(2 * HOUR + 1000)
    await expect
      .poll(async () => (await message(ok.body.id)).status, { timeout: 5000 })
      .toBe('sent')

    const late = await t.call('POST', '/v1/messages', {
      body: { contact_id, channel: 'chat', text: 'late', send_at: later(25 * HOUR) },
    })
    expect(late.status).toBe(202)
    advance(25 * HOUR + 1000)
    await expect
      .poll(async () => (await message(late.body.id)).status, { timeout: 5000 })
      .toBe('failed')
    expect((await message(late.body.id)).error.code).toBe('window_closed')
    expect(relay.total()).toBe(1)
  })

  it('keeps a scheduled send across a restart', async () => {
    const r = await send({ text: 'durable', send_at: later(HOUR) })
    expect(r.status).toBe(202)
    await t.stop()
    advance(0)
    t = await startGateway(config(), { dispatcher: true, dir: t.dir, ...clocks() })
    expect(await message(r.body.id)).toMatchObject({ status: 'queued', send_at: r.body.send_at })
    advance(HOUR)
    await expect.poll(async () => (await message(r.body.id)).status, { timeout: 5000 }).toBe('sent')
    expect(relay.total()).toBe(1)
  })

  it('schedules a bulk: its messages wait for send_at, then go', async () => {
    const ids: string[] = []
    for (const phone of ['+491701111111', '+491702222222']) {
      ids.push((await t.call('POST', '/v1/contacts', { body: { phone } })).body.id as string)
    }
    const at = later(3 * HOUR)
    const b = await t.call('POST', '/v1/bulk', {
      body: { contact_ids: ids, channel: 'sms', text: 'Sale tomorrow', send_at: at },
    })
    expect(b.status).toBe(202)
    await expect
      .poll(async () => (await t.call('GET', `/v1/bulk/${b.body.id}`)).body.eligible)
      .toBe(2)
    expect(await t.gw.store.outbox.nextDue()).toBeGreaterThanOrEqual(Date.parse(at))
    expect(relay.total()).toBe(0)
    const far = await t.call('POST', '/v1/bulk', {
      body: { contact_ids: ids, channel: 'sms', text: 'x', send_at: later(400 * 24 * HOUR) },
    })
    expect(far.status).toBe(422)
    advance(3 * HOUR + 2000)
    await expect.poll(() => relay.total(), { timeout: 5000 }).toBe(2)
  })
})

describe('POST /v1/messages/{id}/cancel', () => {
  it('cancels a scheduled message: cancelled, its job gone, nothing sent at its time', async () => {
    const r = await send({ text: 'never', send_at: later(HOUR) })
    const c = await t.call('POST', `/v1/messages/${r.body.id}/cancel`, { key: KEYS.alice })
    expect(c.status).toBe(200)
    expect(c.body).toMatchObject({ id: r.body.id, status: 'cancelled' })
    expect(await t.gw.store.outbox.depth()).toBe(0)
    // Again: the same answer.
    expect((await t.call('POST', `/v1/messages/${r.body.id}/cancel`)).status).toBe(200)
    advance(2 * HOUR)
    const sent = await send({ text: 'after' })
    await expect
      .poll(async () => (await message(sent.body.id)).status, { timeout: 5000 })
      .toBe('sent')
    expect(relay.received.map((q) => (q.json as { text: string }).text)).toEqual(['after'])
  })

  it('answers 409 message_not_cancellable for a sent message, 404 for an unknown one', async () => {
    const r = await send({ text: 'hello' })
    await expect.poll(async () => (await message(r.body.id)).status, { timeout: 5000 }).toBe('sent')
    const c = await t.call('POST', `/v1/messages/${r.body.id}/cancel`)
    expect(c.status).toBe(409)
    expect(c.body.error).toMatchObject({
      code: 'message_not_cancellable',
      details: { status: 'sent', in_flight: false },
    })
    const u = await t.call('POST', '/v1/messages/msg_01jb2m7c4d5e6f7g8h9j0k1m2p/cancel')
    expect(u.status).toBe(404)
    expect(u.body.error.code).toBe('not_found')
  })
})

describe('cancel without the dispatcher', () => {
  beforeEach(async () => {
    await t.close()
    t = await startGateway(config(), { ...clocks() })
  })

  it('cancels a queued message, and refuses one whose job is leased (in flight)', async () => {
    const q = await send({ text: 'queued' })
    const c = await t.call('POST', `/v1/messages/${q.body.id}/cancel`)
    expect(c.status).toBe(200)
    expect((await message(q.body.id)).status).toBe('cancelled')

    const f = await send({ text: 'on the wire' })
    expect(await t.gw.store.outbox.lease(clock.getTime(), 10, 60_000)).toHaveLength(1)
    const n = await t.call('POST', `/v1/messages/${f.body.id}/cancel`)
    expect(n.status).toBe(409)
    expect(n.body.error).toMatchObject({
      code: 'message_not_cancellable',
      details: { in_flight: true, status: 'sending' },
    })
  })
})
