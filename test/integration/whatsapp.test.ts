/**
 * WhatsApp Web end to end through the in-process gateway: the real config loader, store,
 * dispatcher, rules, watchdog and the real WhatsApp connector, whose whatsapp-web.js `Client` is
 * the fake (same events, methods and payloads), injected by wrapping the real connector factory.
 * Rates are raised so the suite stays fast; the pacing defaults are checked on their own.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createConnector } from '../../src/connectors/index.js'
import { createWhatsAppConnector } from '../../src/connectors/whatsapp/index.js'
import { FakeMessageMedia, FakeWWebClient } from '../fakes/wweb-client.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const ANA = '+4917612345678'
const BEN = '+4917612345679'
const chat = (e164: string): string => `${e164.slice(1)}@c.us`
/** 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)

interface Wa {
  t: TestGateway
  events: WebhookReceiver
  /** The current fake client (a new one per connector start). */
  fake(): FakeWWebClient
  /** Moves the gateway's clock (rules, windows) forward. */
  advance(ms: number): void
}

let current: Wa | null = null
afterEach(async () => {
  await current?.t.close()
  await current?.events.close()
  current = null
})

async function start(
  opts: {
    channel?: string
    rules?: string
    pair?: boolean
    dispatcher?: boolean
    /** First reconnect delay (ms); short by default. */
    backoffMs?: number
  } = {},
): Promise<Wa> {
  const events = await startWebhookReceiver({ secret: 'events-secret' })
  let client: FakeWWebClient | null = null
  let offset = 0
  const rules = opts.rules ?? 'rate: { per_second: 20, per_recipient_per_second: 20 }'
  const t = await startGateway(
    `dispatcher:
  backoff_base: 50ms
channels:
  wa:
    type: whatsapp
    chromium_path: ${process.execPath}
${opts.channel ?? ''}    rules:
      ${rules}
templates:
  welcome:
    text: "Hi {{first_name|there}}, your order has shipped."
webhooks:
  - url: ${events.url}
    secret: events-secret
    events: [message.undelivered]
`,
    {
      dispatcher: opts.dispatcher ?? true,
      now: () => new Date(Date.now() + offset),
      connectorFactory: async (deps, settings) =>
        settings.type !== 'whatsapp'
          ? createConnector(deps, settings)
          : createWhatsAppConnector(deps, settings, {
              clientFactory: (o) => {
                client = new FakeWWebClient(o)
                return client
              },
              mediaFactory: (mimetype, data, filename, filesize) =>
                new FakeMessageMedia(mimetype, data, filename, filesize),
              initTimeoutMs: 2000,
              backoff: { baseMs: opts.backoffMs ?? 20, maxMs: 4 * (opts.backoffMs ?? 20) },
              pathEnv: '',
            }),
    },
  )
  const wa: Wa = {
    t,
    events,
    fake: () => {
      if (client === null) throw new Error('the WhatsApp connector made no client')
      return client
    },
    advance: (ms) => {
      offset += ms
    },
  }
  current = wa
  if (opts.pair !== false) {
    wa.fake().becomeReady()
    await expect.poll(() => channel(wa)).toMatchObject({ state: 'connected' })
  }
  return wa
}

async function channel(wa: Wa): Promise<Record<string, any>> {
  const r = await wa.t.call('GET', '/v1/channels')
  return (r.body.items as Record<string, any>[]).find((c) => c.name === 'wa') ?? {}
}

async function message(wa: Wa, id: string): Promise<Record<string, any>> {
  return (await wa.t.call('GET', `/v1/messages/${id}`)).body as Record<string, any>
}

async function send(wa: Wa, body: Record<string, unknown>) {
  return wa.t.call('POST', '/v1/messages', { key: KEYS.shop, body })
}

async function sent(wa: Wa, body: Record<string, unknown>): Promise<Record<string, any>> {
  const r = await send(wa, body)
  expect(r.status, JSON.stringify(r.body)).toBe(202)
  await expect.poll(async () => (await message(wa, r.body.id)).status).toBe('sent')
  return message(wa, r.body.id)
}

/** `number` writes to us (it has WhatsApp); resolves with the stored message's contact and thread. */
async function writes(wa: Wa, number: string, body: string, name = 'Ana') {
  wa.fake().register(number)
  wa.fake().receive({ from: chat(number), body, notifyName: name })
  return contactOf(wa, number)
}

async function contactOf(wa: Wa, number: string): Promise<Record<string, any>> {
  let found: Record<string, any> | undefined
  await expect
    .poll(async () => {
      const r = await wa.t.call('GET', `/v1/contacts?q=${encodeURIComponent(number)}`)
      found = (r.body.items as Record<string, any>[])[0]
      return found?.identities?.[0]?.first_inbound_at ?? null
    })
    .not.toBeNull()
  return found ?? {}
}

async function metric(wa: Wa, name: string): Promise<number> {
  const text = (await wa.t.call('GET', '/metrics', { key: null })).body as string
  const line = text.split('\n').find((l) => l.startsWith(`${name}{channel="wa"}`))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}

describe('WhatsApp Web through the gateway', () => {
  it('pairs by QR: qr_required with a data: URL that follows rotation, then connected', async () => {
    const wa = await start({
      pair: false,
      rules: 'window: { duration: 24h, after: templates_only }',
    })
    expect(await channel(wa)).toMatchObject({ type: 'whatsapp', state: 'connecting' })
    wa.fake().emitQr('2@first-qr,abc,def')
    await expect.poll(async () => (await channel(wa)).state).toBe('qr_required')
    const first = await channel(wa)
    expect(first.qr).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/=]{100,}$/)
    expect(first.detail).toMatch(/Linked devices/)

    wa.fake().emitQr('2@second-qr,ghi,jkl')
    await expect.poll(async () => (await channel(wa)).qr).not.toBe(first.qr)
    expect((await channel(wa)).qr).toMatch(/^data:image\/png;base64,/)

    wa.fake().becomeReady()
    await expect.poll(async () => (await channel(wa)).state).toBe('connected')
    const ready = await channel(wa)
    expect(ready.qr).toBeUndefined()
    // The whatsapp defaults: a human pace and a cap on first messages to strangers.
    expect(ready.rules).toMatchObject({
      rate: { per_second: 0.5, per_recipient_per_second: 0.2 },
      max_unreplied_per_day: 50,
      window: { duration_ms: 86_400_000, after: 'templates_only' },
    })
  })

  it('receives text and media from a person: contact by E.164, thread, message, attachment', async () => {
    const wa = await start()
    const contact = await writes(wa, ANA, 'Hello, where is my order?')
    expect(contact).toMatchObject({ first_name: 'Ana', phone: ANA })
    expect(contact.identities).toMatchObject([{ channel: 'wa', address: ANA, reachable: true }])

    wa.fake().receive({
      from: chat(ANA),
      body: 'the label',
      media: { mimetype: 'image/png', data: PNG, filename: 'label.png' },
    })
    const threads = await wa.t.call('GET', `/v1/threads?contact_id=${contact.id}`)
    expect(threads.body.items).toHaveLength(1)
    const thread = threads.body.items[0]
    expect(thread).toMatchObject({ channel: 'wa', status: 'open' })
    let items: Record<string, any>[] = []
    await expect
      .poll(async () => {
        items = (await wa.t.call('GET', `/v1/threads/${thread.id}/messages`)).body.items
        return items.length
      })
      .toBe(2)
    expect(items[0]).toMatchObject({ direction: 'in', text: 'Hello, where is my order?' })
    expect(items[1]).toMatchObject({
      direction: 'in',
      text: 'the label',
      attachments: [{ filename: 'label.png', content_type: 'image/png', size: PNG.length }],
    })
    const att = await wa.t.call('GET', `/v1/attachments/${items[1]?.attachments[0].id}`)
    expect(att.status).toBe(200)
    // A group message is not a support conversation: nothing new is stored.
    wa.fake().receive({ from: '120363012345678901@g.us', body: 'group chatter' })
    await new Promise((r) => setTimeout(r, 100))
    expect((await wa.t.call('GET', `/v1/threads/${thread.id}/messages`)).body.items).toHaveLength(2)
  })

  it('sends text and media to a person who wrote; acks move it to delivered, then read', async () => {
    const wa = await start()
    const contact = await writes(wa, ANA, 'hi')
    const text = await sent(wa, { contact_id: contact.id, text: 'Your parcel left today.' })
    const [first] = wa.fake().sent
    expect(first).toMatchObject({ chatId: chat(ANA), content: 'Your parcel left today.' })
    expect(text.platform_message_id).toBe(first?.message.id._serialized)

    const media = await sent(wa, {
      contact_id: contact.id,
      text: 'Your label',
      attachments: [
        { filename: 'label.png', content_type: 'image/png', data: PNG.toString('base64') },
      ],
    })
    const second = wa.fake().sent[1]
    expect(second?.content).toBeInstanceOf(FakeMessageMedia)
    const m = second?.content as FakeMessageMedia
    expect(Buffer.from(m.data, 'base64').equals(PNG)).toBe(true)
    expect(m).toMatchObject({ mimetype: 'image/png', filename: 'label.png', filesize: PNG.length })
    expect(second?.options).toMatchObject({ caption: 'Your label' })
    expect(media.platform_message_id).toBe(second?.message.id._serialized)

    wa.fake().ack(text.platform_message_id, 2)
    await expect.poll(async () => (await message(wa, text.id)).status).toBe('delivered')
    wa.fake().ack(text.platform_message_id, 3)
    await expect.poll(async () => (await message(wa, text.id)).status).toBe('read')
    expect((await message(wa, text.id)).status_history.map((h: any) => h.status)).toEqual([
      'queued',
      'sending',
      'sent',
      'delivered',
      'read',
    ])
    expect((await message(wa, text.id)).undelivered_after).toBeNull()
  })

  it('a number without WhatsApp fails unreachable, nothing sent; the next send is refused', async () => {
    const wa = await start()
    const r = await send(wa, { to: { channel: 'wa', address: BEN }, template: { name: 'welcome' } })
    expect(r.status).toBe(202)
    await expect.poll(async () => (await message(wa, r.body.id)).status).toBe('failed')
    expect((await message(wa, r.body.id)).error).toMatchObject({ code: 'not_on_whatsapp' })
    expect(wa.fake().sent).toEqual([])
    const contact = await wa.t.call('GET', `/v1/contacts/${r.body.contact_id}`)
    expect(contact.body.identities).toMatchObject([{ address: BEN, reachable: false }])

    const again = await send(wa, { contact_id: r.body.contact_id, template: { name: 'welcome' } })
    expect(again.status).toBe(422)
    expect(again.body.error.code).toBe('contact_unreachable')
  })

  it('flags a sent message without a delivery ack (undelivered_after), once, and never resends it', async () => {
    const wa = await start({ channel: '    undelivered_after: 300ms\n' })
    const contact = await writes(wa, ANA, 'hi')
    const m = await sent(wa, { contact_id: contact.id, text: 'are you there?' })
    await expect
      .poll(async () => (await message(wa, m.id)).undelivered_after, { timeout: 5000 })
      .not.toBeNull()
    const flagged = await message(wa, m.id)
    expect(flagged.status).toBe('sent')
    expect(Date.parse(flagged.undelivered_after)).toBeGreaterThanOrEqual(
      Date.parse(flagged.status_history.find((h: any) => h.status === 'sent').at) + 300,
    )
    await wa.events.waitFor((r) => r.received.length >= 1)
    expect(wa.events.received[0]?.json).toMatchObject({
      type: 'message.undelivered',
      data: {
        message_id: m.id,
        channel: 'wa',
        to: ANA,
        undelivered_after: flagged.undelivered_after,
      },
    })
    expect(await metric(wa, 'omnigate_messages_undelivered_total')).toBe(1)

    // Later passes (every 150 ms at this limit) change nothing, and nothing is resent.
    await new Promise((r) => setTimeout(r, 500))
    expect(wa.fake().sent).toHaveLength(1)
    expect(await metric(wa, 'omnigate_messages_undelivered_total')).toBe(1)
    expect(wa.events.received).toHaveLength(1)
    expect((await message(wa, m.id)).undelivered_after).toBe(flagged.undelivered_after)

    // A late ack still counts.
    wa.fake().ack(m.platform_message_id, 2)
    await expect.poll(async () => (await message(wa, m.id)).status).toBe('delivered')
  })

  it('watches only while connected, with the default limit of an hour', async () => {
    const wa = await start()
    const contact = await writes(wa, ANA, 'hi')
    const m = await sent(wa, { contact_id: contact.id, text: 'are you there?' })
    const inHours = (h: number) => new Date(Date.now() + h * 3_600_000)
    expect(await wa.t.gw.watchdog.check(inHours(0.9))).toEqual([])
    // Logged out on the phone: no ack can arrive, so a missing one proves nothing.
    wa.fake().disconnect('LOGOUT')
    await expect.poll(async () => (await channel(wa)).state).toBe('error')
    expect(await wa.t.gw.watchdog.check(inHours(2))).toEqual([])
    wa.fake().becomeReady()
    await expect.poll(async () => (await channel(wa)).state).toBe('connected')
    expect(await wa.t.gw.watchdog.check(inHours(2))).toEqual([m.id])
  })

  it('reconnects after WhatsApp drops the session; messages queued meanwhile go out once it is back', async () => {
    // The dispatcher starts late: a job leased during the outage would wait out the dispatcher's
    // not-connected delay (5 s), which is not what this test is about.
    // Reconnect delays of ~200 ms, then ~400 ms: long enough to see each state go by.
    const wa = await start({ dispatcher: false, backoffMs: 200 })
    const contact = await writes(wa, ANA, 'hi')
    const fake = wa.fake()
    fake.planInitialize({ fail: 'net::ERR_INTERNET_DISCONNECTED' })
    fake.disconnect('NAVIGATION')
    await expect
      .poll(() => channel(wa))
      .toMatchObject({ state: 'disconnected', detail: expect.stringMatching(/NAVIGATION/) })
    const during = await send(wa, { contact_id: contact.id, text: 'during' })
    expect(during.status).toBe(202)

    // The first restart fails and is retried with backoff; the saved session then restores itself.
    await expect.poll(async () => (await channel(wa)).state, { timeout: 5000 }).toBe('connected')
    expect(fake.initializeCalls).toBeGreaterThanOrEqual(3)
    expect(fake.destroyCalls).toBeGreaterThanOrEqual(2)
    wa.t.gw.outbox.start()
    await expect.poll(async () => (await message(wa, during.body.id)).status).toBe('sent')
    await sent(wa, { contact_id: contact.id, text: 'after' })
    expect(fake.sent.map((s) => s.content)).toEqual(['during', 'after'])
  })

  it('applies the 24 h window: text while it is open, only templates after it', async () => {
    const wa = await start()
    // A stranger: templates only (never wrote).
    const cold = await send(wa, { to: { channel: 'wa', address: BEN }, text: 'hello' })
    expect(cold.status).toBe(422)
    expect(cold.body.error).toMatchObject({
      code: 'template_required',
      rule: 'channels.wa.rules.window',
    })

    const contact = await writes(wa, ANA, 'hi')
    await sent(wa, { contact_id: contact.id, text: 'within the window' })
    wa.advance(24 * 3_600_000 + 60_000)
    const late = await send(wa, { contact_id: contact.id, text: 'a day later' })
    expect(late.status).toBe(422)
    expect(late.body.error.code).toBe('template_required')
    const tpl = await sent(wa, { contact_id: contact.id, template: { name: 'welcome' } })
    expect(tpl.text).toBe('Hi Ana, your order has shipped.')
    expect(wa.fake().sent.at(-1)?.content).toBe('Hi Ana, your order has shipped.')
  })

  it('caps first messages to people who never answered per day (unreplied_cap); people who wrote are not counted', async () => {
    const wa = await start({
      rules:
        'rate: { per_second: 50, per_recipient_per_second: 50 }\n      max_unreplied_per_day: 2',
    })
    const strangers = ['+4915110000001', '+4915110000002', '+4915110000003']
    for (const n of strangers) wa.fake().register(n)
    const welcome = (address: string) =>
      send(wa, { to: { channel: 'wa', address }, template: { name: 'welcome' } })

    // Two distinct strangers (one of them twice) use up the cap of 2.
    for (const n of [strangers[0], strangers[0], strangers[1]]) {
      expect((await welcome(n ?? '')).status).toBe(202)
    }
    const capped = await welcome(strangers[2] ?? '')
    expect(capped.status).toBe(422)
    expect(capped.body.error).toMatchObject({
      code: 'unreplied_cap',
      rule: 'channels.wa.rules.max_unreplied_per_day',
      details: { cap: 2, sent: 2 },
    })
    // Nothing was stored for the refused send.
    const none = await wa.t.call('GET', `/v1/contacts?q=${encodeURIComponent(strangers[2] ?? '')}`)
    expect(none.body.items).toEqual([])

    // Someone who wrote is never capped …
    const ana = await writes(wa, ANA, 'hi')
    expect((await send(wa, { contact_id: ana.id, text: 'hello Ana' })).status).toBe(202)
    // … and a stranger who answers stops counting, which frees a place for today.
    await writes(wa, strangers[0] ?? '', 'who is this?')
    expect((await welcome(strangers[2] ?? '')).status).toBe(202)

    await expect.poll(() => wa.fake().sent.length, { timeout: 5000 }).toBe(5)
  })
})
