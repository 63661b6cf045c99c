/**
 * Web chat offline fallback (DESIGN §12): a message no open widget received becomes a Web Push
 * notification (the fake push service decrypts what a browser would show), and, still unread
 * after `fallback.after`, one email copy (a real SMTP server receives it); reading cancels what is
 * pending; a refusal by the fallback's channel is recorded with its code; the timers survive a
 * restart. The gateway's clock is moved forward instead of waiting.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FakePushService } from '../../fakes/push-service.js'
import { startSmtpSink, type SmtpSink } from '../../fakes/smtp-sink.js'
import { startGateway, type TestGateway } from '../../helpers/harness.js'
import { agentSends, ORIGIN, statusOf, visitor, webchatYaml } from './rig.js'

let push: FakePushService
let sink: SmtpSink
let t: TestGateway | undefined
let offsetMs = 0
const now = (): Date => new Date(Date.now() + offsetMs)

const yaml = () =>
  webchatYaml(
    `  web:
    type: webpush
    secret: push-secret
  mail:
    type: email
    smtp: { url: "${sink.url}" }
    senders: [support@example.com]
`,
    `    fallback: { push: web, email: mail, after: 2m }
`,
  )

beforeEach(async () => {
  offsetMs = 0
  push = await FakePushService.start()
  sink = await startSmtpSink()
})
afterEach(async () => {
  await t?.close()
  t = undefined
  await push.close()
  await sink.close()
})

async function subscribedVisitor(g: TestGateway, externalId: string, email: string | null) {
  const v = await visitor(g, externalId, email ? { email } : {})
  const key = (await g.call('GET', '/v1/channels/web/push-key', { key: null })).body
    .vapid_public_key as string
  const subscription = push.subscribe(key)
  const reg = await v.post('/push', { subscription })
  expect(reg.status).toBe(200)
  expect(reg.body).toEqual({ channel: 'web', contact_id: v.contactId })
  return { v, subscription }
}

const fallbacks = async (g: TestGateway, id: string) =>
  (await g.call('GET', `/v1/messages/${id}`)).body.fallback as {
    kind: string
    message_id: string | null
    error: { code: string } | null
  }[]

describe('webchat offline fallback', () => {
  it('unseen: a push at once, then one email copy after fallback.after, both recorded', async () => {
    t = await startGateway(yaml(), { dispatcher: true, now })
    const { subscription } = await subscribedVisitor(t, 'user-1', 'ana@example.com')
    const contact = (await t.call('GET', '/v1/contacts?q=ana')).body.items[0]
    const id = await agentSends(t, contact.id, 'Your order shipped.\nTrack it on the site.')
    await expect.poll(() => statusOf(t!, id)).toBe('sent')
    expect(push.received(subscription)).toHaveLength(0)

    offsetMs += 6_000
    await expect.poll(() => push.received(subscription).length, { timeout: 10_000 }).toBe(1)
    expect(push.received(subscription)[0]!.payload).toMatchObject({
      text: 'Your order shipped.\nTrack it on the site.',
    })
    await expect.poll(async () => (await fallbacks(t!, id)).map((f) => f.kind)).toEqual(['push'])
    expect(sink.received).toHaveLength(0)

    offsetMs += 2 * 60_000
    const [mail] = await sink.waitFor(1, 10_000)
    expect(mail!.envelope.to).toEqual(['ana@example.com'])
    expect(mail!.parsed.subject).toBe('You have a new message')
    expect(mail!.parsed.text).toContain('> Your order shipped.\n> Track it on the site.')
    expect(mail!.parsed.text).toContain(ORIGIN)
    await expect
      .poll(async () => (await fallbacks(t!, id)).map((f) => f.kind))
      .toEqual(['push', 'email'])
    const records = await fallbacks(t, id)
    expect(records.every((f) => f.error === null && f.message_id?.startsWith('msg_'))).toBe(true)
    // The copies are messages of their own channels, filed in the chat's thread (a Web Push
    // channel keeps its default single_open_thread: the open chat is not a rival thread) …
    const chat = (await t.call('GET', `/v1/messages/${id}`)).body
    for (const f of records) {
      const copy = (await t.call('GET', `/v1/messages/${f.message_id}`)).body
      expect(copy.thread_id).toBe(chat.thread_id)
    }
    const threads = (await t.call('GET', `/v1/threads?contact_id=${contact.id}`)).body.items
    expect(threads.map((th: { id: string }) => th.id)).toEqual([chat.thread_id])
    // … and in the contact's timeline.
    const timeline = (await t.call('GET', `/v1/contacts/${contact.id}/timeline`)).body.items
    const channels = timeline.filter((i: { kind: string }) => i.kind === 'message')
    expect(channels.map((i: { message: { channel: string } }) => i.message.channel)).toEqual(
      expect.arrayContaining(['site', 'web', 'mail']),
    )
    // Nothing more later: each fallback runs once.
    offsetMs += 10 * 60_000
    await new Promise((r) => setTimeout(r, 1_500))
    expect(push.received(subscription)).toHaveLength(1)
    expect(sink.received).toHaveLength(1)
  })

  it('a message delivered to an open widget gets no push; reading it cancels the email', async () => {
    t = await startGateway(yaml(), { dispatcher: true, now })
    const { v, subscription } = await subscribedVisitor(t, 'user-2', 'bo@example.com')
    const s = await v.stream()
    const id = await agentSends(t, v.contactId, 'Are you there?')
    await expect.poll(() => statusOf(t!, id)).toBe('delivered')
    expect((await v.post('/seen', { up_to: id })).body).toEqual({ read: 1 })
    await s.stop()
    offsetMs += 3 * 60_000
    await new Promise((r) => setTimeout(r, 1_500))
    expect(push.received(subscription)).toHaveLength(0)
    expect(sink.received).toHaveLength(0)
    expect(await fallbacks(t, id)).toEqual([])
  })

  it("a refusal by the fallback's channel is recorded with its code, never retried", async () => {
    t = await startGateway(yaml(), { dispatcher: true, now })
    const v = await visitor(t, 'user-3') // no email, no push subscription
    const id = await agentSends(t, v.contactId, 'hello')
    await expect.poll(() => statusOf(t!, id)).toBe('sent')
    offsetMs += 3 * 60_000
    await expect
      .poll(() => fallbacks(t!, id), { timeout: 10_000 })
      .toEqual([
        {
          kind: 'email',
          at: expect.any(String),
          message_id: null,
          error: expect.objectContaining({ code: 'no_address' }),
        },
      ])
    offsetMs += 10 * 60_000
    await new Promise((r) => setTimeout(r, 1_500))
    expect(await fallbacks(t, id)).toHaveLength(1)
  })

  it('timers survive a restart', async () => {
    t = await startGateway(yaml(), { dispatcher: true, now })
    const v = await visitor(t, 'user-4', { email: 'cy@example.com' })
    const id = await agentSends(t, v.contactId, 'while you were away')
    await expect.poll(() => statusOf(t!, id)).toBe('sent')
    const dir = t.dir
    await t.stop()
    t = await startGateway(yaml(), { dispatcher: true, now, dir })
    offsetMs += 3 * 60_000
    const [mail] = await sink.waitFor(1, 10_000)
    expect(mail!.parsed.text).toContain('> while you were away')
    await expect.poll(async () => (await fallbacks(t!, id)).map((f) => f.kind)).toEqual(['email'])
  })
})
