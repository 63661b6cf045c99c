/**
 * WhatsApp Cloud API through the daemon: the connector's Graph client against the local Graph
 * fake, webhooks posted to `/hooks/whatsapp-cloud/<name>`, with the daemon's inbound path,
 * dispatcher and SQLite store. What a user relies on: the GET handshake, signed deliveries only,
 * people who write become contacts and open the 24 h window, statuses move our messages, after the
 * window only mapped templates go (parameters in order), 429 waits Retry-After, an undeliverable
 * number stops sends until the person writes again, a bad token is one channel's error.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../fakes/connector-context.js'
import {
  graphChange,
  graphInbound,
  graphWebhookRequest,
  startGraphFake,
  type GraphFake,
} from '../fakes/graph-api.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const APP_SECRET = 'wa-app-secret'
const VERIFY_TOKEN = 'wa-verify-token'
const WA_ID = '4915112345678'
const PHONE = `+${WA_ID}`
const HOUR = 3_600_000
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x9d])

let fake: GraphFake | null = null
let t: TestGateway | null = null
/** The rules' clock: real time plus this offset. */
let offsetMs = 0

afterEach(async () => {
  await t?.close()
  await fake?.close()
  t = null
  fake = null
  offsetMs = 0
})

/**
 * A gateway with channel `wa` on the fake (and `more` channels), a template mapped to an approved
 * WhatsApp template, and the clock seam. The per-recipient rate is raised so a test of Retry-After
 * measures the platform's wait, not our own pacing.
 */
async function start(more: (f: GraphFake) => string = () => '') {
  const f = (fake = await startGraphFake())
  const g = (t = await startGateway(
    `server:
  public_url: https://gw.example
dispatcher:
  backoff_base: 50ms
  backoff_max: 200ms
templates:
  refund_update:
    text: "Hi {{first_name|there}}, your refund is {{status}}."
  welcome:
    text: "Welcome!"
channels:
  wa:
    type: whatsapp-cloud
    phone_number_id: "${f.phoneNumberId}"
    access_token: ${f.accessToken}
    app_secret: ${APP_SECRET}
    verify_token: ${VERIFY_TOKEN}
    graph_url: ${f.graphUrl}
    templates:
      refund_update: { name: refund_status_v2, language: en_US, parameters: [first_name, status] }
    rules:
      rate: { per_second: 80, per_recipient_per_second: 20 }
${more(f)}`,
    { dispatcher: true, now: () => new Date(Date.now() + offsetMs) },
  ))
  return { f, g }
}

/** POST a signed (or mis-signed) delivery to `/hooks/whatsapp-cloud/wa`. */
async function deliver(value: Record<string, unknown>, signature?: string): Promise<number> {
  const req = graphWebhookRequest(APP_SECRET, graphChange(fake!.phoneNumberId, value), {
    ...(signature === undefined ? {} : { signature }),
    url: 'http://gw.test/hooks/whatsapp-cloud/wa',
  })
  return (await t!.gw.app.request(req)).status
}

const nowSeconds = () => String(Math.floor((Date.now() + offsetMs) / 1000))

/** The person writes `text` (now, by the rules' clock); resolves once it is stored. */
async function userWrites(id: string, text: string, name = 'Ana') {
  const msg = { id, type: 'text', text: { body: text }, timestamp: nowSeconds() }
  expect(await deliver(graphInbound(WA_ID, name, msg))).toBe(200)
  return waitFor(() => t!.gw.store.messages.findByPlatformId('wa', id))
}

const send = (body: Record<string, unknown>) =>
  t!.call('POST', '/v1/messages', { key: KEYS.alice, body })
const message = async (id: string) => (await t!.call('GET', `/v1/messages/${id}`)).body
const statusOf = async (id: string) => (await message(id)).status as string
const contacts = async (q: string) =>
  (await t!.call('GET', `/v1/contacts?q=${encodeURIComponent(q)}`)).body.items as any[]

async function fetchBytes(path: string, key: string | null) {
  const res = await t!.gw.app.request(path, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  })
  return { status: res.status, data: Buffer.from(await res.arrayBuffer()) }
}

function statusValue(wamid: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    statuses: [{ id: wamid, status, timestamp: nowSeconds(), recipient_id: WA_ID, ...extra }],
  }
}

describe('whatsapp-cloud through the daemon', () => {
  it('answers Meta’s GET verification handshake through /hooks, and 403 for a wrong verify token', async () => {
    await start()
    const q = (token: string) =>
      `/hooks/whatsapp-cloud/wa?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`
    const ok = await t!.call('GET', q(VERIFY_TOKEN), { key: null })
    expect(ok.status).toBe(200)
    expect(String(ok.body)).toBe('1158201444')
    expect((await t!.call('GET', q('guess'), { key: null })).status).toBe(403)
  })

  it('a message makes a contact (profile name, phone), identity and thread; the image is stored', async () => {
    const { f } = await start()
    f.addMedia('media-77', JPEG, 'image/jpeg')
    const image = {
      id: 'wamid.in-img',
      type: 'image',
      timestamp: nowSeconds(),
      image: { id: 'media-77', mime_type: 'image/jpeg', caption: 'my receipt' },
    }
    await userWrites('wamid.in-txt', 'Hello')
    expect(await deliver(graphInbound(WA_ID, 'Ana', image))).toBe(200)

    const [c, ...others] = await contacts('+49 151 1234')
    expect(others).toHaveLength(0)
    expect(c).toMatchObject({
      first_name: 'Ana',
      phone: PHONE,
      identities: [{ channel: 'wa', address: PHONE, reachable: true }],
    })
    const tl = await t!.call('GET', `/v1/contacts/${c.id}/timeline`)
    const msgs = tl.body.items.filter((i: any) => i.kind === 'message').map((i: any) => i.message)
    expect(msgs.map((m: any) => [m.direction, m.text])).toEqual([
      ['in', 'Hello'],
      ['in', 'my receipt'],
    ])
    const att = msgs[1].attachments[0]
    expect(att).toMatchObject({ content_type: 'image/jpeg', size: JPEG.length })
    const got = await fetchBytes(`/v1/attachments/${att.id}`, KEYS.alice)
    expect(got.status).toBe(200)
    expect(got.data.equals(JPEG)).toBe(true)
  })

  it('a delivery without a valid X-Hub-Signature-256 gets 401 and stores nothing', async () => {
    await start()
    const value = graphInbound(WA_ID, 'Eve', {
      id: 'wamid.forged',
      type: 'text',
      text: { body: 'x' },
    })
    expect(await deliver(value, 'sha256=' + '0'.repeat(64))).toBe(401)
    expect(await deliver(value, '')).toBe(401)
    expect(await t!.gw.store.messages.findByPlatformId('wa', 'wamid.forged')).toBeNull()
    expect(await contacts('eve')).toHaveLength(0)
  })

  it('the same delivery twice (Meta retries) is stored once', async () => {
    await start()
    await userWrites('wamid.dup', 'only once')
    await userWrites('wamid.dup', 'only once')
    const [c] = await contacts('ana')
    const tl = await t!.call('GET', `/v1/contacts/${c.id}/timeline`)
    expect(tl.body.items.filter((i: any) => i.kind === 'message')).toHaveLength(1)
  })

  it('outbound text and image by signed link; statuses delivered then read move the message', async () => {
    const { f } = await start()
    await userWrites('wamid.in-1', 'hi')
    const [c] = await contacts('ana')
    const text = await send({ contact_id: c.id, text: 'Hello {{first_name}}' })
    const img = await send({
      contact_id: c.id,
      text: 'your label',
      attachments: [
        { filename: 'label.jpg', content_type: 'image/jpeg', data: JPEG.toString('base64') },
      ],
    })
    for (const r of [text, img]) {
      expect(r.status).toBe(202)
      await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    }
    expect(f.sends.map((s) => s.body)).toEqual([
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: WA_ID,
        type: 'text',
        text: { body: 'Hello Ana', preview_url: false },
      },
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: WA_ID,
        type: 'image',
        image: {
          link: expect.stringMatching(/^https:\/\/gw\.example\/v1\/attachments\//),
          caption: 'your label',
        },
      },
    ])
    const link = new URL((f.sends[1]!.body.image as { link: string }).link)
    const got = await fetchBytes(link.pathname + link.search, null)
    expect(got.status).toBe(200)
    expect(got.data.equals(JPEG)).toBe(true)

    const wamid = (await message(text.body.id)).platform_message_id as string
    expect(wamid).toBe(f.sends[0]!.wamid)
    expect(await deliver(statusValue(wamid, 'delivered'))).toBe(200)
    expect(await statusOf(text.body.id)).toBe('delivered')
    expect(await deliver(statusValue(wamid, 'read'))).toBe(200)
    expect(await deliver(statusValue(wamid, 'delivered'))).toBe(200) // late: never backwards
    const m = await message(text.body.id)
    expect(m.status).toBe('read')
    expect(m.status_history.map((h: { status: string }) => h.status)).toEqual([
      'queued',
      'sending',
      'sent',
      'delivered',
      'read',
    ])
  })

  it('outside the 24 h window a text is refused (template_required); a mapped template goes with its parameters in order', async () => {
    const { f } = await start()
    await userWrites('wamid.in-w', 'refund please')
    const [c] = await contacts('ana')

    offsetMs = 23 * HOUR
    const inside = await send({ contact_id: c.id, text: 'still inside', dry_run: true })
    expect(inside.status).toBe(200)
    expect(inside.body.allowed).toBe(true)

    offsetMs = 25 * HOUR
    const late = await send({ contact_id: c.id, text: 'too late for text' })
    expect(late.status).toBe(422)
    expect(late.body.error.code).toBe('template_required')

    const tpl = await send({
      contact_id: c.id,
      template: { name: 'refund_update', variables: { status: 'approved' } },
    })
    expect(tpl.status).toBe(202)
    await expect.poll(() => statusOf(tpl.body.id), { timeout: 5000 }).toBe('sent')
    expect(f.sends).toHaveLength(1)
    expect(f.sends[0]!.body).toMatchObject({
      to: WA_ID,
      type: 'template',
      template: {
        name: 'refund_status_v2',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana' },
              { type: 'text', text: 'approved' },
            ],
          },
        ],
      },
    })

    // An unmapped template goes as text: the rules pass it, Meta refuses it (re-engagement).
    f.fail('messages', {
      kind: 'error',
      status: 400,
      code: 131047,
      message: 'Re-engagement message',
      details: 'More than 24 hours have passed since the recipient last replied',
    })
    const unmapped = await send({ contact_id: c.id, template: { name: 'welcome' } })
    expect(unmapped.status).toBe(202)
    await expect.poll(() => statusOf(unmapped.body.id), { timeout: 5000 }).toBe('failed')
    expect((await message(unmapped.body.id)).error.code).toBe('template_required')
    expect(f.sends[1]!.body).toMatchObject({ type: 'text', text: { body: 'Welcome!' } })
  })

  it('429 with Retry-After: the dispatcher waits at least that long before the next request', async () => {
    const { f } = await start()
    await userWrites('wamid.in-r', 'hi')
    const [c] = await contacts('ana')
    f.fail('messages', {
      kind: 'error',
      status: 429,
      code: 130429,
      message: 'Rate limit hit',
      headers: { 'retry-after': '1' },
    })
    const r = await send({ contact_id: c.id, text: 'patience' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    const [first, second, ...more] = f.sends
    expect(more).toHaveLength(0)
    expect(first!.wamid).toBeNull()
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000)
  })

  it('429 with an HTTP-date Retry-After: the retry waits for that date, not the backoff', async () => {
    const { f } = await start()
    await userWrites('wamid.in-rd', 'hi')
    const [c] = await contacts('ana')
    // A whole second 2–3 s ahead; the backoff here is at most 200 ms.
    const retryAt = Math.ceil((Date.now() + 2000) / 1000) * 1000
    f.fail('messages', {
      kind: 'error',
      status: 429,
      code: 130429,
      message: 'Rate limit hit',
      headers: { 'retry-after': new Date(retryAt).toUTCString() },
    })
    const r = await send({ contact_id: c.id, text: 'patience' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 8000 }).toBe('sent')
    const [first, second, ...more] = f.sends
    expect(more).toHaveLength(0)
    expect(first!.wamid).toBeNull()
    expect(second!.at).toBeGreaterThanOrEqual(retryAt)
  })

  it('131026 on a send: failed + unreachable, later sends refused; writing again reopens', async () => {
    const { f } = await start()
    await userWrites('wamid.in-b1', 'hi')
    const [c] = await contacts('ana')
    f.fail('messages', {
      kind: 'error',
      status: 400,
      code: 131026,
      message: 'Message undeliverable',
      details: 'Message failed to send because the user is not a WhatsApp user or is blocked',
    })
    const r = await send({ contact_id: c.id, text: 'x' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('failed')
    expect((await message(r.body.id)).error.code).toBe('undeliverable')
    expect(f.sends).toHaveLength(1) // never retried
    expect((await contacts('ana'))[0].identities[0].reachable).toBe(false)
    const refused = await send({ contact_id: c.id, text: 'again?' })
    expect(refused.status).toBe(422)
    expect(refused.body.error.code).toBe('contact_unreachable')

    await userWrites('wamid.in-b2', 'I am here')
    const ok = await send({ contact_id: c.id, text: 'welcome back' })
    expect(ok.status).toBe(202)
    await expect.poll(() => statusOf(ok.body.id), { timeout: 5000 }).toBe('sent')
  })

  it('131026 in a failed status (after Meta accepted the send): failed with its code + unreachable', async () => {
    await start()
    await userWrites('wamid.in-s', 'hi')
    const [c] = await contacts('ana')
    const r = await send({ contact_id: c.id, text: 'x' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    const wamid = (await message(r.body.id)).platform_message_id as string
    const failed = statusValue(wamid, 'failed', {
      errors: [{ code: 131026, title: 'Message undeliverable' }],
    })
    expect(await deliver(failed)).toBe(200)
    const m = await message(r.body.id)
    expect(m.status).toBe('failed')
    expect(m.error).toMatchObject({ code: 'undeliverable' })
    expect((await send({ contact_id: c.id, text: 'x' })).body.error.code).toBe(
      'contact_unreachable',
    )
  })

  it('a wrong token: that channel shows error with Meta’s reason; the other one stays connected and sends', async () => {
    const { f, g } = await start(
      (bad) => `  wa-bad:
    type: whatsapp-cloud
    phone_number_id: "${bad.phoneNumberId}"
    access_token: EAAG-expired
    app_secret: other
    verify_token: other
    graph_url: ${bad.graphUrl}
`,
    )
    const list = (await g.call('GET', '/v1/channels')).body.items as any[]
    const byName = Object.fromEntries(list.map((c) => [c.name, c]))
    expect(byName['wa-bad'].state).toBe('error')
    expect(byName['wa-bad'].detail).toMatch(/Invalid OAuth access token/)
    expect(byName['wa-bad'].detail).not.toContain('EAAG-expired')
    expect(byName.wa).toMatchObject({ state: 'connected', detail: null })

    await userWrites('wamid.in-t', 'hi')
    const [c] = await contacts('ana')
    const r = await send({ contact_id: c.id, channel: 'wa', text: 'still working' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    expect(f.sends.filter((s) => s.wamid)).toHaveLength(1)
  })
})
