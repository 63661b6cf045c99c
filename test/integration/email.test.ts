/**
 * The email channel through the daemon (in process, dispatcher on), against real servers on
 * 127.0.0.1: POST /v1/messages → an SMTP sink (smtp-server) with the chosen sender, subject and
 * bcc; the customer's replies appended to a real Dovecot land in their thread; SMTP refusals,
 * bounces, a restart between two mails, and a wrong IMAP password beside a working channel.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startDovecot, type DovecotServer } from '../fakes/dovecot.js'
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const CUSTOMER = 'ana.lopez@customer.example'

let dovecot: DovecotServer
let relay: WebhookReceiver
const cleanups: (() => Promise<void>)[] = []
let boxes = 0

beforeAll(async () => {
  ;[dovecot, relay] = await Promise.all([
    startDovecot(),
    startWebhookReceiver({ secret: 'relay-secret' }),
  ])
})
afterAll(async () => {
  await Promise.all([dovecot?.stop(), relay?.close()])
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function config(o: { smtp: string; imap: string; mailbox: string }): string {
  return `server:
  public_url: http://127.0.0.1:8080
dispatcher:
  backoff_base: 50ms
  backoff_max: 200ms
  max_attempts: 3
channels:
  mail:
    type: email
    smtp: { url: "${o.smtp}" }
    imap: { url: "${o.imap}", mailbox: ${o.mailbox} }
    senders: [support@example.com, billing@example.com]
    default_subject: A message from Example Support
    rules:
      rate: { per_second: 100, per_recipient_per_second: 100 }
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
templates:
  refund_update:
    title: Refund update
    text: "Hi {{first_name|there}}, your refund is {{status}}."
`
}

interface Setup {
  t: TestGateway
  sink: SmtpSink
  mailbox: string
}

/** A gateway with its own SMTP sink and its own Dovecot mailbox, the email channel connected. */
async function setup(o: { imap?: string; waitConnected?: boolean } = {}): Promise<Setup> {
  const sink = await startSmtpSink()
  cleanups.push(() => sink.close())
  const mailbox = `Box${++boxes}`
  await dovecot.withClient((client) => client.mailboxCreate(mailbox))
  const t = await startGateway(config({ smtp: sink.url, imap: o.imap ?? dovecot.url, mailbox }), {
    dispatcher: true,
  })
  cleanups.push(() => t.close())
  if (o.waitConnected !== false) await connected(t)
  return { t, sink, mailbox }
}

async function channel(t: TestGateway, name: string) {
  const r = await t.call('GET', '/v1/channels')
  return (r.body.items as { name: string; state: string; detail: string | null }[]).find(
    (c) => c.name === name,
  )
}

/** IMAP is in IDLE: before that the dispatcher holds email jobs back. */
async function connected(t: TestGateway): Promise<void> {
  await expect.poll(async () => (await channel(t, 'mail'))?.state, { timeout: 5000 }).toBe('connected')
}

async function send(t: TestGateway, body: Record<string, unknown>) {
  const r = await t.call('POST', '/v1/messages', { key: KEYS.alice, body })
  expect(r.status, JSON.stringify(r.body)).toBe(202)
  return r.body as { id: string; thread_id: string; contact_id: string; email: unknown }
}

const message = async (t: TestGateway, id: string) =>
  (await t.call('GET', `/v1/messages/${id}`)).body

async function settled(t: TestGateway, id: string, status: 'sent' | 'failed') {
  await expect.poll(async () => (await message(t, id)).status, { timeout: 5000 }).toBe(status)
  return message(t, id)
}

async function threadMessages(t: TestGateway, threadId: string) {
  const r = await t.call('GET', `/v1/threads/${threadId}/messages`)
  return r.body.items as {
    id: string
    direction: string
    text: string | null
    email: Record<string, unknown> | null
    attachments: { id: string; filename: string; content_type: string; size: number }[]
  }[]
}

/** Polls a thread until it holds `count` messages. */
async function untilMessages(t: TestGateway, threadId: string, count: number) {
  await expect
    .poll(async () => (await threadMessages(t, threadId)).length, { timeout: 5000 })
    .toBe(count)
  return threadMessages(t, threadId)
}

/** A mail as a customer's client writes it. */
function customerMail(o: {
  id: string
  from?: string
  subject?: string
  text: string
  headers?: string[]
  attachment?: { filename: string; type: string; data: Buffer }
}): string {
  const head = [
    `From: ${o.from ?? `"Ana López" <${CUSTOMER}>`}`,
    'To: support@example.com',
    `Subject: ${o.subject ?? 'Re: Your order'}`,
    `Message-ID: ${o.id}`,
    'Date: Tue, 04 Mar 2025 10:00:00 +0000',
    ...(o.headers ?? []),
    'MIME-Version: 1.0',
  ]
  const text = o.text.replace(/\n/g, '\r\n')
  if (!o.attachment) {
    return [...head, 'Content-Type: text/plain; charset=utf-8', '', text, ''].join('\r\n')
  }
  return [
    ...head,
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    text,
    '--b1',
    `Content-Type: ${o.attachment.type}; name="${o.attachment.filename}"`,
    `Content-Disposition: attachment; filename="${o.attachment.filename}"`,
    'Content-Transfer-Encoding: base64',
    '',
    o.attachment.data.toString('base64'),
    '--b1--',
    '',
  ].join('\r\n')
}

describe('email channel through the daemon', () => {
  it('sends from the chosen sender with the subject; bcc only in the envelope, shown to agents', async () => {
    const { t, sink } = await setup()
    const m = await send(t, {
      to: { channel: 'mail', address: CUSTOMER, first_name: 'Ana' },
      text: 'Hello {{first_name}}, your order shipped.',
      variables: { order: '#42' },
      email: {
        from: 'Billing@Example.com',
        subject: 'Your order {{order}}',
        bcc: ['audit@example.com', 'Boss@Example.com'],
      },
    })
    const email = {
      from: 'billing@example.com',
      subject: 'Your order #42',
      bcc: ['audit@example.com', 'boss@example.com'],
    }
    expect(m.email).toEqual(email)
    const got = await settled(t, m.id, 'sent')
    const [mail] = await sink.waitFor(1)
    expect(mail!.envelope).toEqual({
      from: 'billing@example.com',
      to: [CUSTOMER, 'audit@example.com', 'boss@example.com'],
    })
    expect(mail!.parsed.from?.value).toEqual([{ address: 'billing@example.com', name: '' }])
    expect(mail!.parsed.to).toMatchObject({ value: [{ address: CUSTOMER }] })
    expect(mail!.parsed.subject).toBe('Your order #42')
    expect(mail!.parsed.text?.trim()).toBe('Hello Ana, your order shipped.')
    expect(mail!.parsed.html).toContain('Hello Ana, your order shipped.')
    // Bcc recipients are in no header the customer receives.
    expect(mail!.parsed.bcc).toBeUndefined()
    expect(mail!.raw.toString()).not.toMatch(/audit@|boss@/i)

    expect(got.email).toEqual(email)
    expect(got.platform_message_id).toMatch(/^<msg_[0-9A-Z]+@example\.com>$/)
    expect(got.platform_message_id).toBe(mail!.parsed.messageId)
    const timeline = await t.call('GET', `/v1/contacts/${m.contact_id}/timeline`)
    const item = (
      timeline.body.items as { kind: string; message?: { id: string; email: unknown } }[]
    ).find((i) => i.kind === 'message' && i.message?.id === m.id)
    expect(item?.message?.email).toEqual(email)
  })

  it('refuses a sender outside senders with 422 sender_unknown and stores nothing', async () => {
    const { t, sink } = await setup()
    const r = await t.call('POST', '/v1/messages', {
      key: KEYS.alice,
      body: {
        to: { channel: 'mail', address: CUSTOMER },
        text: 'x',
        email: { from: 'ceo@example.com' },
      },
    })
    expect(r.status).toBe(422)
    expect(r.body.error).toMatchObject({
      code: 'sender_unknown',
      rule: 'channels.mail.senders',
      details: { senders: ['support@example.com', 'billing@example.com'] },
    })
    const contacts = await t.call('GET', `/v1/contacts?q=${CUSTOMER}`)
    expect(contacts.body.items).toEqual([])
    // Without email.from the first sender is used; it is the only mail the sink ever sees.
    const m = await send(t, { to: { channel: 'mail', address: CUSTOMER }, text: 'y' })
    await settled(t, m.id, 'sent')
    expect(sink.received.map((x) => x.envelope.from)).toEqual(['support@example.com'])
  })

  it('without a subject: the template title, else default_subject', async () => {
    const { t, sink } = await setup()
    const a = await send(t, {
      to: { channel: 'mail', address: CUSTOMER, first_name: 'Ana' },
      template: { name: 'refund_update', variables: { status: 'approved' } },
    })
    await settled(t, a.id, 'sent')
    const b = await send(t, { contact_id: a.contact_id, channel: 'mail', text: 'Anything else?' })
    await settled(t, b.id, 'sent')
    const [first, second] = await sink.waitFor(2)
    expect(first!.parsed.subject).toBe('Refund update')
    expect(first!.parsed.text).toContain('Hi Ana, your refund is approved.')
    expect(second!.parsed.subject).toBe('A message from Example Support')
  })

  it('keeps one conversation: In-Reply-To/References on each send, the reply lands in the thread', async () => {
    const { t, sink, mailbox } = await setup()
    const first = await send(t, {
      to: { channel: 'mail', address: CUSTOMER },
      text: 'Your refund is on its way.',
      email: { subject: 'Your refund' },
    })
    const firstId = (await settled(t, first.id, 'sent')).platform_message_id as string
    const second = await send(t, { thread_id: first.thread_id, text: 'It left today.' })
    const secondId = (await settled(t, second.id, 'sent')).platform_message_id as string
    const [, mail2] = await sink.waitFor(2)
    expect(mail2!.parsed.inReplyTo).toBe(firstId)
    expect(mail2!.parsed.references).toBe(firstId) // mailparser gives a single one as a string

    await dovecot.append(
      customerMail({
        id: '<reply-1@customer.example>',
        text: 'Thanks!\n\nOn Tue, 4 Mar 2025, Support wrote:\n> It left today.\n> \n',
        headers: [`In-Reply-To: ${secondId}`, `References: ${firstId} ${secondId}`],
      }),
      mailbox,
    )
    const msgs = await untilMessages(t, first.thread_id, 3)
    expect(msgs.map((x) => x.direction)).toEqual(['out', 'out', 'in'])
    expect(msgs[2]).toMatchObject({ text: 'Thanks!' })
    expect(msgs[2]!.email).toMatchObject({ message_id: '<reply-1@customer.example>' })

    const third = await send(t, { thread_id: first.thread_id, text: 'You are welcome.' })
    await settled(t, third.id, 'sent')
    const [, , mail3] = await sink.waitFor(3)
    expect(mail3!.parsed.inReplyTo).toBe('<reply-1@customer.example>')
    expect(mail3!.parsed.references).toEqual([firstId, secondId, '<reply-1@customer.example>'])
  })
})
