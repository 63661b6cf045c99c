/**
 * LINE through the daemon: the real @line/bot-sdk client against the local Messaging API fake,
 * webhooks posted to `/hooks/line/<name>`, with the daemon's inbound path, dispatcher and SQLite
 * store. What a user relies on: signed webhooks only, people who write become contacts, texts
 * and images go both ways, a retried push is delivered once (same X-Line-Retry-Key), 429 waits
 * Retry-After, unfollow stops sends until the person comes back, a bad token is one channel's error.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  lineEvents,
  lineUserId,
  lineWebhookRequest,
  startLineFake,
  type LineFake,
} from '../fakes/line-api.js'
import { waitFor } from '../fakes/connector-context.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const SECRET = 'line-channel-secret'
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xc3])
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

let fake: LineFake | null = null
let t: TestGateway | null = null

afterEach(async () => {
  await t?.close()
  await fake?.close()
  t = null
  fake = null
})

/**
 * A gateway with channel `line` on the fake (and `more` channels). The per-recipient rate is
 * raised so a test of Retry-After measures the platform's wait, not our own pacing.
 */
async function start(more: (f: LineFake) => string = () => '') {
  const f = (fake = await startLineFake())
  const g = (t = await startGateway(
    `server:
  public_url: https://gw.example
dispatcher:
  backoff_base: 50ms
  backoff_max: 200ms
channels:
  line:
    type: line
    channel_access_token: ${f.channelAccessToken}
    channel_secret: ${SECRET}
    api_base_url: ${f.baseUrl}
    rules:
      rate: { per_second: 100, per_recipient_per_second: 20 }
${more(f)}`,
    { dispatcher: true },
  ))
  return { f, g }
}

/** POST a signed (or mis-signed) webhook body to `/hooks/line/<channel>`. */
async function deliver(events: unknown[], opts: { signature?: string; channel?: string } = {}) {
  const req = lineWebhookRequest(SECRET, events, {
    ...(opts.signature === undefined ? {} : { signature: opts.signature }),
    url: `http://gw.test/hooks/line/${opts.channel ?? 'line'}`,
  })
  const res = await t!.gw.app.request(req)
  return res.status
}

/** The person writes `text`; resolves once it is stored. */
async function userWrites(userId: string, id: string, text: string) {
  expect(await deliver([lineEvents.text(userId, id, text)])).toBe(200)
  return waitFor(() => t!.gw.store.messages.findByPlatformId('line', id))
}

const send = (body: Record<string, unknown>) =>
  t!.call('POST', '/v1/messages', { key: KEYS.alice, body })
const message = async (id: string) => (await t!.call('GET', `/v1/messages/${id}`)).body
const statusOf = async (id: string) => (await message(id)).status as string
const contacts = async (q: string) =>
  (await t!.call('GET', `/v1/contacts?q=${encodeURIComponent(q)}`)).body.items as any[]

async function timelineMessages(contactId: string): Promise<any[]> {
  const tl = await t!.call('GET', `/v1/contacts/${contactId}/timeline`)
  return tl.body.items.filter((i: any) => i.kind === 'message').map((i: any) => i.message)
}

/** A GET as an outsider (LINE's media fetcher) or an agent, binary-safe. */
async function fetchBytes(path: string, key: string | null) {
  const res = await t!.gw.app.request(path, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  })
  return { status: res.status, data: Buffer.from(await res.arrayBuffer()) }
}

describe('line through the daemon', () => {
  it('a message event makes a contact (LINE display name), identity and thread; the image is stored', async () => {
    const { f } = await start()
    const ana = lineUserId(1)
    f.setProfile(ana, 'Ana')
    f.addContent('m-img', JPEG, 'image/jpeg')
    expect(
      await deliver([lineEvents.text(ana, 'm-txt', 'Hello there'), lineEvents.image(ana, 'm-img')]),
    ).toBe(200)

    const [c, ...others] = await contacts('ana')
    expect(others).toHaveLength(0)
    expect(c).toMatchObject({ first_name: 'Ana', identities: [{ channel: 'line', address: ana }] })
    const msgs = await timelineMessages(c.id)
    expect(msgs.map((m) => [m.direction, m.text])).toEqual([
      ['in', 'Hello there'],
      ['in', null],
    ])
    expect(msgs[0].thread_id).toBe(msgs[1].thread_id)
    const att = msgs[1].attachments[0]
    expect(att).toMatchObject({ content_type: 'image/jpeg', size: JPEG.length })
    const got = await fetchBytes(`/v1/attachments/${att.id}`, KEYS.alice)
    expect(got.status).toBe(200)
    expect(got.data.equals(JPEG)).toBe(true)
  })

  it('a webhook without the right X-Line-Signature gets 401 and stores nothing', async () => {
    await start()
    const ev = lineEvents.text(lineUserId(2), 'm-bad', 'forged')
    expect(await deliver([ev], { signature: 'AAAA' })).toBe(401)
    expect(await deliver([ev], { signature: '' })).toBe(401)
    const other = lineWebhookRequest('another-secret', [ev]).headers.get('x-line-signature')!
    expect(await deliver([ev], { signature: other })).toBe(401)
    expect(await t!.gw.store.messages.findByPlatformId('line', 'm-bad')).toBeNull()
    // LINE's "Verify" button: an empty, signed event list.
    expect(await deliver([])).toBe(200)
  })

  it('the same event delivered twice (LINE redelivery) is stored once', async () => {
    const { f } = await start()
    const bo = lineUserId(3)
    f.setProfile(bo, 'Bo')
    const ev = lineEvents.text(bo, 'm-dup', 'only once')
    expect(await deliver([ev])).toBe(200)
    expect(await deliver([{ ...ev, deliveryContext: { isRedelivery: true } }])).toBe(200)
    const [c] = await contacts('bo')
    expect(await timelineMessages(c.id)).toHaveLength(1)
  })

  it('outbound: one push with the text and the image by signed link, X-Line-Retry-Key a UUID', async () => {
    const { f } = await start()
    // LINE has no contact-first rule: a known user id can be messaged before they write.
    const cy = lineUserId(4)
    const r = await send({
      to: { channel: 'line', address: cy, first_name: 'Cy' },
      text: 'Your order shipped',
      attachments: [
        { filename: 'label.jpg', content_type: 'image/jpeg', data: JPEG.toString('base64') },
      ],
    })
    expect(r.status).toBe(202)
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    const [push, ...more] = f.pushes
    expect(more).toHaveLength(0)
    expect(push!.to).toBe(cy)
    expect(push!.retryKey).toMatch(UUID)
    expect(push!.messages[0]).toEqual({ type: 'text', text: 'Your order shipped' })
    const img = push!.messages[1] as { type: string; originalContentUrl: string }
    expect(img.type).toBe('image')
    const link = new URL(img.originalContentUrl)
    expect(link.origin).toBe('https://gw.example')
    // LINE fetches the link without our key: the signature is what lets it through.
    const got = await fetchBytes(link.pathname + link.search, null)
    expect(got.status).toBe(200)
    expect(got.data.equals(JPEG)).toBe(true)
    expect((await message(r.body.id)).platform_message_id).toMatch(/^\d+$/)
  })

  it('refuses what LINE cannot carry before queueing: text over 5000, a PDF', async () => {
    const { f } = await start()
    const to = { channel: 'line', address: lineUserId(5) }
    const long = await send({ to, text: 'x'.repeat(5001) })
    expect(long.status).toBe(422)
    expect(long.body.error.code).toBe('text_too_long')
    const pdf = await send({
      to,
      attachments: [{ filename: 'a.pdf', content_type: 'application/pdf', data: 'JVBERi0=' }],
    })
    expect(pdf.status).toBe(422)
    expect(pdf.body.error.code).toBe('attachment_rejected')
    expect(f.pushes).toHaveLength(0)
  })

  it('a retried push carries the same X-Line-Retry-Key and is delivered once (409 = already accepted)', async () => {
    const { f } = await start()
    // The first push is accepted by LINE but the answer is lost; then a 500 on the second try.
    f.fail('push', { kind: 'accept-then-drop' })
    f.fail('push', { kind: 'error', status: 500, message: 'Internal server error' })
    const r = await send({ to: { channel: 'line', address: lineUserId(6) }, text: 'exactly once' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    const keys = f.pushes.map((p) => p.retryKey)
    expect(keys.length).toBeGreaterThanOrEqual(2)
    expect(new Set(keys).size).toBe(1)
    expect(f.delivered()).toHaveLength(1)
    expect(f.pushes.at(-1)!.outcome).toBe('duplicate')
    const m = await message(r.body.id)
    expect(m.possible_duplicate).toBe(false)
    expect(m.platform_message_id).toBeTruthy()
  })

  it('429 with Retry-After: the dispatcher waits at least that long before the next push', async () => {
    const { f } = await start()
    f.fail('push', {
      kind: 'error',
      status: 429,
      message: 'The API rate limit has been exceeded. Try again later.',
      headers: { 'retry-after': '1' },
    })
    const r = await send({ to: { channel: 'line', address: lineUserId(7) }, text: 'slowly' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    const [first, second, ...more] = f.pushes
    expect(more).toHaveLength(0)
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000)
    expect(second!.retryKey).toBe(first!.retryKey)
  })

  it('unfollow (blocked): the identity is unreachable and sends are refused; follow or writing again reopens', async () => {
    const { f } = await start()
    const di = lineUserId(8)
    f.setProfile(di, 'Di')
    await userWrites(di, 'm-di-1', 'hi')
    const [c] = await contacts('di')
    const reachable = async () => (await contacts('di'))[0].identities[0].reachable as boolean

    expect(await deliver([lineEvents.unfollow(di)])).toBe(200)
    expect(await reachable()).toBe(false)
    const refused = await send({ contact_id: c.id, text: 'still there?' })
    expect(refused.status).toBe(422)
    expect(refused.body.error.code).toBe('contact_unreachable')

    expect(await deliver([lineEvents.follow(di)])).toBe(200)
    expect(await reachable()).toBe(true)

    expect(await deliver([lineEvents.unfollow(di)])).toBe(200)
    await userWrites(di, 'm-di-2', 'unblocked and writing')
    expect(await reachable()).toBe(true)
    const ok = await send({ contact_id: c.id, text: 'welcome back' })
    expect(ok.status).toBe(202)
    await expect.poll(() => statusOf(ok.body.id), { timeout: 5000 }).toBe('sent')
    expect(f.delivered().map((p) => p.messages[0])).toEqual([
      { type: 'text', text: 'welcome back' },
    ])
  })

  it('a wrong token: that channel shows error with LINE’s reason; the other one stays connected and sends', async () => {
    const { f, g } = await start(
      (bad) => `  line-bad:
    type: line
    channel_access_token: not-the-token
    channel_secret: other-secret
    api_base_url: ${bad.baseUrl}
`,
    )
    const list = (await g.call('GET', '/v1/channels')).body.items as any[]
    const byName = Object.fromEntries(list.map((c) => [c.name, c]))
    expect(byName['line-bad'].state).toBe('error')
    expect(byName['line-bad'].detail).toMatch(/401 Authentication failed/)
    expect(byName['line-bad'].detail).not.toContain('not-the-token')
    expect(byName.line).toMatchObject({ state: 'connected', detail: null })

    const r = await send({ to: { channel: 'line', address: lineUserId(9) }, text: 'still working' })
    await expect.poll(() => statusOf(r.body.id), { timeout: 5000 }).toBe('sent')
    expect(f.delivered()).toHaveLength(1)
  })
})
