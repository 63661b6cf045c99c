/**
 * Send windows through the daemon (DESIGN §14): a send outside the channel's `send_window` is
 * deferred to the next opening in the contact's zone (or the configured one), shown in the 202,
 * the message and eligibility as `deferred_until`; a reply in a live conversation is not; the
 * contact's `timezone` is validated on write. The rules' and the dispatcher's clocks are the
 * test's.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'

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
    rules:
      send_window: { hours: "08:00-21:00", timezone: contact, fallback_timezone: Europe/Berlin }
  chat:
    type: webhook
    url: ${relay.url}
    secret: chat-secret
    address: any
    rules:
      send_window: { hours: "09:00-17:00", timezone: America/New_York, days: mon-fri }
`

beforeEach(async () => {
  // Tuesday 23:30 in Berlin, 17:30 in New York; ahead of the wall clock (see scheduled-sends).
  clock = new Date('2027-01-12T22:30:00.000Z')
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
  t = await startGateway(config(), {
    dispatcher: true,
    now: () => clock,
    leaseClock: () => clock.getTime(),
  })
})
afterEach(async () => {
  await t.close()
  await relay.close()
})

function advanceTo(iso: string): void {
  clock = new Date(iso)
  t.gw.outbox.kick()
}

async function contact(body: Record<string, unknown>): Promise<string> {
  const r = await t.call('POST', '/v1/contacts', { body })
  expect(r.status).toBe(201)
  return r.body.id as string
}

const sms = (contact_id: string, text = 'Hi') =>
  t.call('POST', '/v1/messages', { body: { contact_id, channel: 'sms', text } })

const message = async (id: string) => (await t.call('GET', `/v1/messages/${id}`)).body

const eligibilityOf = async (id: string, channel: string) =>
  (await t.call('GET', `/v1/contacts/${id}/eligibility`)).body.channels.find(
    (c: { channel: string }) => c.channel === channel,
  )

describe('send_window', () => {
  it('defers a send outside the window in the contact zone to its next opening, then sends it', async () => {
    const id = await contact({ phone: '+491701234567', timezone: 'Europe/Berlin' })
    expect((await eligibilityOf(id, 'sms')).deferred_until).toBe('2027-01-13T07:00:00.000Z')
    const r = await sms(id, 'Good morning')
    expect(r.status).toBe(202)
    expect(r.body).toMatchObject({
      status: 'queued',
      deferred_until: '2027-01-13T07:00:00.000Z',
      send_at: '2027-01-13T07:00:00.000Z',
    })
    expect(await t.gw.store.outbox.nextDue()).toBe(Date.parse('2027-01-13T07:00:00.000Z'))
    advanceTo('2027-01-13T07:00:01.000Z')
    await expect.poll(async () => (await message(r.body.id)).status, { timeout: 5000 }).toBe('sent')
    expect(relay.total()).toBe(1)
  })

  it('sends at once where it is daytime for the contact', async () => {
    const id = await contact({ phone: '+491701234568', timezone: 'America/New_York' })
    expect((await eligibilityOf(id, 'sms')).deferred_until).toBeNull()
    const r = await sms(id)
    expect(r.body).toMatchObject({ deferred_until: null, send_at: null })
    await expect.poll(async () => (await message(r.body.id)).status, { timeout: 5000 }).toBe('sent')
  })

  it('uses fallback_timezone for a contact without a timezone', async () => {
    const id = await contact({ phone: '+491701234569' })
    const r = await sms(id)
    expect(r.body.deferred_until).toBe('2027-01-13T07:00:00.000Z')
  })

  it('waits again, never drops, when the window is closed at the opening it was deferred to', async () => {
    const id = await contact({ phone: '+491701234560', timezone: 'Europe/Berlin' })
    const r = await sms(id)
    // The contact moves to New York: 07:00Z is 02:00 there, the window opens at 13:00Z.
    const p = await t.call('PATCH', `/v1/contacts/${id}`, {
      body: { timezone: 'America/New_York' },
    })
    expect(p.body.timezone).toBe('America/New_York')
    advanceTo('2027-01-13T07:00:01.000Z')
    await expect
      .poll(() => t.gw.store.outbox.nextDue(), { timeout: 5000 })
      .toBe(Date.parse('2027-01-13T13:00:00.000Z'))
    expect(relay.total()).toBe(0)
    advanceTo('2027-01-13T13:00:01.000Z')
    await expect.poll(async () => (await message(r.body.id)).status, { timeout: 5000 }).toBe('sent')
  })

  it('does not defer a reply while the contact wrote less than an hour ago', async () => {
    const raw = JSON.stringify({ id: 'in-1', from: { address: 'dora' }, text: 'still there?' })
    const inbound = await t.call('POST', '/v1/channels/chat/inbound', {
      key: null,
      raw,
      headers: {
        'content-type': 'application/json',
        'x-omnigate-signature': sign('chat-secret', raw),
      },
    })
    const { contact_id } = inbound.body as { contact_id: string }
    const send = () =>
      t.call('POST', '/v1/messages', { body: { contact_id, channel: 'chat', text: 'yes' } })
    // 17:30 in New York: outside 09:00-17:00, but she just wrote.
    expect((await send()).body.deferred_until).toBeNull()
    clock = new Date(clock.getTime() + 2 * HOUR)
    // Two hours later it waits for Wednesday 09:00 New York.
    expect((await send()).body.deferred_until).toBe('2027-01-13T14:00:00.000Z')
  })
})

describe('contact timezone', () => {
  it('is validated on write: 400 naming the field', async () => {
    const bad = await t.call('POST', '/v1/contacts', { body: { timezone: 'Mars/Olympus' } })
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('invalid_field')
    expect(JSON.stringify(bad.body.error)).toContain('timezone')
    const id = await contact({ first_name: 'Ed', timezone: 'Asia/Tokyo' })
    const patch = await t.call('PATCH', `/v1/contacts/${id}`, { body: { timezone: '+09:00' } })
    expect(patch.status).toBe(400)
    expect(JSON.stringify(patch.body.error)).toContain('timezone')
    expect((await t.call('GET', `/v1/contacts/${id}`)).body.timezone).toBe('Asia/Tokyo')
    const cleared = await t.call('PATCH', `/v1/contacts/${id}`, { body: { timezone: null } })
    expect(cleared.body.timezone).toBeNull()
  })
})
