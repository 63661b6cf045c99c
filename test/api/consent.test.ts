/**
 * Opt-out by keyword and the consent API (DESIGN §15, check 3b of §5), through the daemon with
 * the dispatcher running: a webhook channel (opt-out on by default) relays to a local receiver,
 * app webhooks go to another.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const CONFIRMATION =
  'You are unsubscribed and will get no more messages here. Reply START to resume.'

let relay: WebhookReceiver
let events: WebhookReceiver
let t: TestGateway
let inbound = 0

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
  events = await startWebhookReceiver({ secret: 'events-secret' })
  t = await startGateway(
    `channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
  intl:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
    rules:
      opt_out: { keywords: [ARRÊT, baja, Stopp], resume: [alta], confirmation: null }
  quiet:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
    rules:
      opt_out: false
webhooks:
  - url: ${events.url}
    secret: events-secret
    events: [contact.opted_out, contact.opted_in]
`,
    { dispatcher: true },
  )
})
afterEach(async () => {
  await t.close()
  await relay.close()
  await events.close()
})

/** A signed inbound message on a webhook channel; its stored ids. */
async function receive(channel: string, from: string, text: string) {
  const raw = JSON.stringify({ id: `in-${++inbound}`, from: { address: from }, text })
  const headers = {
    'content-type': 'application/json',
    'x-omnigate-signature': sign('relay-secret', raw),
  }
  const r = await t.call('POST', `/v1/channels/${channel}/inbound`, { key: null, raw, headers })
  expect(r.status).toBe(200)
  return r.body as { message_id: string; contact_id: string; thread_id: string }
}

const send = (contactId: string, channel: string, text = 'News!') =>
  t.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: { contact_id: contactId, channel, text },
  })

const consentOf = async (contactId: string) =>
  (await t.call('GET', `/v1/contacts/${contactId}/consent`)).body as {
    channels: { channel: string; status: string; source: { kind: string } }[]
    history: unknown[]
  }

/** What the relay was asked to deliver to this number, in order. */
const relayed = (to: string) =>
  relay.received
    .map((r) => r.json as { to: { address: string }; text: string })
    .filter((j) => j.to.address === to)
    .map((j) => j.text)

describe('opt-out by keyword', () => {
  it.each(['STOP', ' stop ', 'Unsubscribe', 'sToPaLl\n'])(
    '%j opts out: every later send is refused with opted_out (422)',
    async (word) => {
      const m = await receive('sms', '+491701000001', word)
      expect((await consentOf(m.contact_id)).channels).toEqual([
        expect.objectContaining({ channel: 'sms', status: 'opted_out' }),
      ])
      const r = await send(m.contact_id, 'sms')
      expect(r.status).toBe(422)
      expect(r.body.error).toMatchObject({ code: 'opted_out', rule: 'channels.sms.rules.opt_out' })
    },
  )

  it('a keyword inside a longer message is not an opt-out', async () => {
    const m = await receive('sms', '+491701000002', "please don't STOP sending")
    expect((await consentOf(m.contact_id)).channels).toEqual([])
    expect((await send(m.contact_id, 'sms')).status).toBe(202)
  })

  it('sends the confirmation once, and only once, past the opt-out it confirms', async () => {
    const to = '+491701000003'
    const m = await receive('sms', to, 'STOP')
    await relay.waitFor(() => relayed(to).length === 1)
    await receive('sms', to, 'stop')
    await receive('sms', to, 'STOP')
    // The second and third STOP change nothing: no history row, no second confirmation.
    expect((await consentOf(m.contact_id)).history).toHaveLength(1)
    const msgs = await t.call('GET', `/v1/threads/${m.thread_id}/messages`)
    const out = msgs.body.items.filter((x: { direction: string }) => x.direction === 'out')
    expect(out).toHaveLength(1)
    expect(out[0]).toMatchObject({ text: CONFIRMATION, author: { kind: 'app', id: 'system' } })
    expect(relayed(to)).toEqual([CONFIRMATION])
  })

  it('records source, timeline event, app webhook event; a resume keyword opts back in', async () => {
    const to = '+491701000004'
    const m = await receive('sms', to, 'Stop')
    const c = await t.call('GET', `/v1/contacts/${m.contact_id}/consent`)
    expect(c.body).toEqual({
      contact_id: m.contact_id,
      channels: [
        {
          channel: 'sms',
          status: 'opted_out',
          at: expect.any(String),
          source: { kind: 'keyword', id: m.message_id, text: 'STOP' },
        },
      ],
      history: [
        {
          channel: 'sms',
          status: 'opted_out',
          at: expect.any(String),
          source: { kind: 'keyword', id: m.message_id, text: 'STOP' },
        },
      ],
    })
    const tl = await t.call('GET', `/v1/contacts/${m.contact_id}/timeline`)
    const consentEvents = tl.body.items
      .filter((i: { kind: string }) => i.kind === 'event')
      .map((i: { event: { type: string; actor: string } }) => i.event)
      .filter((e: { type: string }) => e.type.startsWith('opted'))
    expect(consentEvents).toEqual([
      expect.objectContaining({ type: 'opted_out', actor: 'contact', thread_id: m.thread_id }),
    ])
    await events.waitFor((r) => r.received.length >= 1)
    expect(events.received[0]?.signatureValid).toBe(true)
    expect(events.received[0]?.json).toMatchObject({
      type: 'contact.opted_out',
      data: {
        contact_id: m.contact_id,
        thread_id: m.thread_id,
        channel: 'sms',
        status: 'opted_out',
        source: { kind: 'keyword', text: 'STOP' },
      },
    })

    await receive('sms', to, 'unstop')
    expect((await consentOf(m.contact_id)).channels).toEqual([
      expect.objectContaining({ channel: 'sms', status: 'opted_in' }),
    ])
    expect((await send(m.contact_id, 'sms')).status).toBe(202)
    await events.waitFor((r) => r.received.length >= 2)
    expect(events.received.map((r) => (r.json as { type: string }).type)).toEqual([
      'contact.opted_out',
      'contact.opted_in',
    ])
  })

  it('takes the keywords of the channel’s configuration, in any language', async () => {
    const a = await receive('intl', '+491701000005', 'arrêt')
    expect((await send(a.contact_id, 'intl')).body.error?.code).toBe('opted_out')
    const b = await receive('intl', '+491701000006', 'BAJA')
    expect((await send(b.contact_id, 'intl')).status).toBe(422)
    // The configured list replaces the defaults: STOP is a message here; no confirmation (null).
    const c = await receive('intl', '+491701000007', 'STOP')
    expect((await send(c.contact_id, 'intl')).status).toBe(202)
    await receive('intl', '+491701000006', 'Alta')
    expect((await send(b.contact_id, 'intl')).status).toBe(202)
    expect(relayed('+491701000005')).toEqual([])
    // Off on a channel: STOP is just a message.
    const q = await receive('quiet', '+491701000008', 'STOP')
    expect((await send(q.contact_id, 'quiet')).status).toBe(202)
  })

  it('is per channel: the opt-out of one channel leaves the others open', async () => {
    const m = await receive('sms', '+491701000009', 'STOP')
    // Out of the way of the single-open-thread rule: only consent decides below.
    await t.call('POST', `/v1/threads/${m.thread_id}/close`, { key: KEYS.alice, body: {} })
    const e = await t.call('GET', `/v1/contacts/${m.contact_id}/eligibility`)
    const by = Object.fromEntries(
      e.body.channels.map((c: { channel: string }) => [c.channel, c]),
    ) as Record<string, { can_send: boolean; code: string | null }>
    expect(by['sms']).toMatchObject({ can_send: false, code: 'opted_out' })
    expect(by['quiet']).toMatchObject({ can_send: true, code: null })
    expect((await send(m.contact_id, 'quiet')).status).toBe(202)
  })

  it('bulks skip opted-out contacts and count them by opted_out', async () => {
    const out = await receive('sms', '+491701000010', 'STOP')
    const ok = await receive('sms', '+491701000011', 'hello')
    const body = { contact_ids: [out.contact_id, ok.contact_id], channel: 'sms', text: 'Sale' }
    const dry = await t.call('POST', '/v1/bulk', {
      key: KEYS.alice,
      body: { ...body, dry_run: true },
    })
    expect(dry.status).toBe(200)
    expect(dry.body).toMatchObject({ total: 2, eligible: 1, skipped: { opted_out: 1 } })
    const b = await t.call('POST', '/v1/bulk', { key: KEYS.alice, body })
    expect(b.status).toBe(202)
    await expect
      // A wait, not a speed check: the bulk runner is the scheduler's, which on a loaded machine
      // (PostgreSQL pass at load 16) took 8 s to finish these two.
      .poll(async () => (await t.call('GET', `/v1/bulk/${b.body.id}`)).body.status, {
        timeout: 20_000,
      })
      .toBe('done')
    const done = await t.call('GET', `/v1/bulk/${b.body.id}`)
    expect(done.body).toMatchObject({ eligible: 1, skipped: { opted_out: 1 } })
    await relay.waitFor(() => relayed('+491701000011').includes('Sale'))
    expect(relayed('+491701000010')).toEqual([CONFIRMATION])
  })
})

describe('GET/PUT /v1/contacts/{id}/consent', () => {
  async function contact() {
    const r = await t.call('POST', '/v1/contacts', {
      key: KEYS.admin,
      body: { first_name: 'Ana', identities: [{ channel: 'sms', address: '+491701000020' }] },
    })
    expect(r.status).toBe(201)
    return r.body.id as string
  }

  it('records the calling key as the source: agent, app, admin → api', async () => {
    const id = await contact()
    expect(await consentOf(id)).toEqual({ contact_id: id, channels: [], history: [] })
    const a = await t.call('PUT', `/v1/contacts/${id}/consent`, {
      key: KEYS.alice,
      body: { channel: 'sms', status: 'opted_out', note: 'asked on the phone' },
    })
    expect(a.status).toBe(200)
    expect(a.body.channels).toEqual([
      {
        channel: 'sms',
        status: 'opted_out',
        at: expect.any(String),
        source: { kind: 'agent', id: 'alice', text: 'asked on the phone' },
      },
    ])
    expect((await send(id, 'sms')).body.error.code).toBe('opted_out')
    // No confirmation for a change made by a key: that is the keyword's answer.
    const b = await t.call('PUT', `/v1/contacts/${id}/consent`, {
      key: KEYS.shop,
      body: { channel: 'sms', status: 'opted_in' },
    })
    expect(b.body.channels[0]).toMatchObject({
      status: 'opted_in',
      source: { kind: 'app', id: 'shop' },
    })
    await t.call('PUT', `/v1/contacts/${id}/consent`, {
      key: KEYS.admin,
      body: { channel: 'quiet', status: 'opted_out' },
    })
    const c = await consentOf(id)
    expect(c.channels.map((x) => [x.channel, x.status, x.source.kind])).toEqual([
      ['quiet', 'opted_out', 'api'],
      ['sms', 'opted_in', 'app'],
    ])
    expect(c.history).toHaveLength(3)
    expect((await send(id, 'sms')).status).toBe(202)
    expect(relayed('+491701000020')).not.toContain(CONFIRMATION)
  })

  it('answers 404 for an unknown contact, 400 for a bad body, 422 for an unknown channel', async () => {
    const unknown = 'ct_01jb2m6x3v8k4q9r7s5t1w0y2z'
    expect((await t.call('GET', `/v1/contacts/${unknown}/consent`)).status).toBe(404)
    const put = (id: string, body: unknown) =>
      t.call('PUT', `/v1/contacts/${id}/consent`, { key: KEYS.alice, body })
    expect((await put(unknown, { channel: 'sms', status: 'opted_out' })).status).toBe(404)
    const id = await contact()
    const bad = await put(id, { channel: 'sms', status: 'maybe' })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatchObject({ code: 'invalid_field', details: { field: 'status' } })
    expect((await put(id, { channel: 'sms', status: 'opted_out', extra: 1 })).status).toBe(400)
    const nope = await put(id, { channel: 'nope', status: 'opted_out' })
    expect(nope.status).toBe(422)
    expect(nope.body.error.code).toBe('channel_unknown')
    expect((await consentOf(id)).history).toEqual([])
    expect((await t.call('GET', `/v1/contacts/${id}/consent`, { key: null })).status).toBe(401)
  })
})
