/**
 * The email channel through the daemon (in process, dispatcher on), against real servers on
 * 127.0.0.1: POST /v1/messages → an SMTP sink (smtp-server) with the chosen sender, subject and
 * bcc; the customer's replies appended to a real Dovecot land in their thread; SMTP refusals,
 * bounces, a restart between two mails, and a wrong IMAP password beside a working channel.
 */
import { afterAll, beforeAll, describe, it, type TestContext } from 'vitest'
import nodemailer from 'nodemailer'
import type { EmailConnector } from '../../src/connectors/email/index.js'
import { startDovecot, type DovecotServer } from '../fakes/dovecot.js'
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const CUSTOMER = 'ana.lopez@customer.example'
// Only reached when a test fails; generous so a loaded CI machine does not fail a working one.
const WAIT_MS = 10_000

let dovecot: DovecotServer
let relay: WebhookReceiver
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

function config(o: { smtp: string; imap: string; mailbox: string; listen: boolean }): string {
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
    senders: [support@example.com, billing@example.com]${o.listen ? '\n    smtp_listen: 127.0.0.1:0' : ''}
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

/**
 * A gateway with its own SMTP sink and its own Dovecot mailbox (so tests run side by side), the
 * email channel connected; all of it is stopped when the test ends.
 */
async function setup(
  ctx: TestContext,
  o: { imap?: string; waitConnected?: boolean; listen?: boolean } = {},
): Promise<Setup> {
  const sink = await startSmtpSink()
  ctx.onTestFinished(() => sink.close())
  const mailbox = `Box${++boxes}`
  await dovecot.withClient((client) => client.mailboxCreate(mailbox))
  const imap = o.imap ?? dovecot.url
  const t = await startGateway(config({ smtp: sink.url, imap, mailbox, listen: !!o.listen }), {
    dispatcher: true,
  })
  ctx.onTestFinished(() => t.close())
  // IMAP in IDLE: until then the dispatcher holds email jobs back.
  if (o.waitConnected !== false)
    await until(
      () => channel(t, 'mail'),
      (c) => c?.state === 'connected',
    )
  return { t, sink, mailbox }
}

/** Polls `read` until `ok` holds; the error shows the last value. */
async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT_MS
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)} after ${WAIT_MS} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

async function channel(t: TestGateway, name: string) {
  const r = await t.call('GET', '/v1/channels')
  return (r.body.items as { name: string; state: string; detail: string | null }[]).find(
    (c) => c.name === name,
  )
}

async function send(t: TestGateway, body: Record<string, unknown>) {
  const r = await t.call('POST', '/v1/messages', { key: KEYS.alice, body })
  if (r.status !== 202) throw new Error(`send answered ${r.status}: ${JSON.stringify(r.body)}`)
  return r.body as { id: string; thread_id: string; contact_id: string; email: unknown }
}

const message = async (t: TestGateway, id: string) =>
  (await t.call('GET', `/v1/messages/${id}`)).body

function settled(t: TestGateway, id: string, status: 'sent' | 'failed') {
  return until(
    () => message(t, id),
    (m) => m.status === status,
  )
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
function untilMessages(t: TestGateway, threadId: string, count: number) {
  return until(
    () => threadMessages(t, threadId),
    (items) => items.length >= count,
  )
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

describe.concurrent('email channel through the daemon', () => {
  it('sends from the chosen sender with the subject; bcc only in the envelope, shown to agents', async (ctx) => {
    const { expect } = ctx
    const { t, sink } = await setup(ctx)
    const m = await send(t, {
      to: { channel: 'mail', address: CUSTOMER, first_name: 'Ana' },
      text: 'Hello {{first_name}}, your order shipped.',
      variables: { order: '#42' },
      attachments: [
        {
          filename: 'receipt.pdf',
          content_type: 'application/pdf',
          data: Buffer.from('%PDF-1.4 receipt').toString('base64'),
        },
      ],
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
    expect(mail!.parsed.attachments).toMatchObject([
      { filename: 'receipt.pdf', contentType: 'application/pdf' },
    ])
    expect(mail!.parsed.attachments[0]!.content.toString()).toBe('%PDF-1.4 receipt')
    // Bcc recipients are in no header the customer receives.
    expect(mail!.parsed.bcc).toBeUndefined()
    expect(mail!.raw.toString()).not.toMatch(/audit@|boss@/i)

    expect(got.email).toEqual(email)
    expect(got.platform_message_id).toMatch(/^<msg_[0-9a-z]{26}@example\.com>$/)
    expect(got.platform_message_id).toBe(mail!.parsed.messageId)
    const timeline = await t.call('GET', `/v1/contacts/${m.contact_id}/timeline`)
    const item = (
      timeline.body.items as { kind: string; message?: { id: string; email: unknown } }[]
    ).find((i) => i.kind === 'message' && i.message?.id === m.id)
    expect(item?.message?.email).toEqual(email)
  })

  it('refuses a sender outside senders with 422 sender_unknown and stores nothing', async (ctx) => {
    const { expect } = ctx
    const { t, sink } = await setup(ctx)
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

  it('without a subject: the template title, else default_subject', async (ctx) => {
    const { expect } = ctx
    const { t, sink } = await setup(ctx)
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

  it('keeps one conversation: In-Reply-To/References on each send, the reply lands in the thread', async (ctx) => {
    const { expect } = ctx
    const { t, sink, mailbox } = await setup(ctx)
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

  it('a reply to a closed thread reopens that thread, with the quote trimmed and the attachment stored', async (ctx) => {
    const { expect } = ctx
    const { t, mailbox } = await setup(ctx)
    const old = await send(t, {
      to: { channel: 'mail', address: CUSTOMER },
      text: 'Here is your invoice.',
    })
    const oldId = (await settled(t, old.id, 'sent')).platform_message_id as string
    expect((await t.call('POST', `/v1/threads/${old.thread_id}/close`, { body: {} })).status).toBe(
      200,
    )
    // A newer conversation is open on the same channel: the reply must not fall into it.
    const other = await send(t, { contact_id: old.contact_id, channel: 'mail', text: 'Survey?' })
    expect(other.thread_id).not.toBe(old.thread_id)
    await settled(t, other.id, 'sent')

    const pdf = Buffer.from('%PDF-1.4 the signed invoice')
    await dovecot.append(
      customerMail({
        id: '<reply-2@customer.example>',
        subject: 'Re: Here is your invoice',
        text: [
          'The amount is wrong, see the attached copy.',
          '',
          '-----Original Message-----',
          'From: Support <support@example.com>',
          'Here is your invoice.',
        ].join('\n'),
        headers: [`In-Reply-To: ${oldId}`, `References: ${oldId}`],
        attachment: { filename: 'invoice.pdf', type: 'application/pdf', data: pdf },
      }),
      mailbox,
    )
    const msgs = await untilMessages(t, old.thread_id, 2)
    expect(msgs[1]).toMatchObject({
      direction: 'in',
      text: 'The amount is wrong, see the attached copy.',
      attachments: [{ filename: 'invoice.pdf', content_type: 'application/pdf', size: pdf.length }],
    })
    const thread = await t.call('GET', `/v1/threads/${old.thread_id}`)
    expect(thread.body.status).toBe('open')
    expect(await threadMessages(t, other.thread_id)).toHaveLength(1)
    const file = await t.call('GET', `/v1/attachments/${msgs[1]!.attachments[0]!.id}`)
    expect(file.status).toBe(200)
    expect(file.headers.get('content-type')).toBe('application/pdf')
    expect(file.body).toBe(pdf.toString())
  })

  it('matches replies however the client writes the Message-ID: bare, with a phrase, run together', async (ctx) => {
    const { expect } = ctx
    const { t, mailbox } = await setup(ctx)
    const threads: { thread: string; pmid: string }[] = []
    for (let i = 0; i < 3; i++) {
      // Each send is its own conversation: close the previous one first.
      if (threads[i - 1])
        await t.call('POST', `/v1/threads/${threads[i - 1]!.thread}/close`, { body: {} })
      const m = await send(t, { to: { channel: 'mail', address: CUSTOMER }, text: `n${i}` })
      const pmid = (await settled(t, m.id, 'sent')).platform_message_id as string
      threads.push({ thread: m.thread_id, pmid })
    }
    const bare = (id: string) => id.slice(1, -1)
    const [a, b, c] = threads as [(typeof threads)[0], (typeof threads)[0], (typeof threads)[0]]
    const replies = [
      // An id without its angle brackets (some scripts and old clients).
      { to: a, headers: [`In-Reply-To: ${bare(a.pmid)}`] },
      // RFC 822 allowed a phrase before the id; References as a folded list without spaces.
      { to: b, headers: [`In-Reply-To: Your message of Tue, 4 Mar 2025 ${b.pmid}`] },
      { to: c, headers: [`References: <other@customer.example>${c.pmid}`] },
    ]
    for (const [i, r] of replies.entries()) {
      await dovecot.append(
        customerMail({
          id: `<bracket-${i}@customer.example>`,
          text: `reply ${i}`,
          headers: r.headers,
        }),
        mailbox,
      )
    }
    for (const [i, r] of replies.entries()) {
      const msgs = await untilMessages(t, r.to.thread, 2)
      expect(msgs[1]).toMatchObject({ direction: 'in', text: `reply ${i}` })
    }
  })

  it('a mail from an unknown sender creates the contact, its identity and a thread', async (ctx) => {
    const { expect } = ctx
    const { t, mailbox } = await setup(ctx)
    await dovecot.append(
      customerMail({
        id: '<new-1@else.example>',
        from: '"Lima, Bruno" <bruno@else.example>',
        subject: 'Question about pricing',
        text: 'Do you ship to Portugal?',
        headers: ['In-Reply-To: <unknown@somewhere.example>'],
      }),
      mailbox,
    )
    const found = async () =>
      (await t.call('GET', '/v1/contacts?q=bruno@else.example')).body.items as {
        id: string
        first_name: string
        last_name: string
        email: string
        identities: { channel: string; address: string; first_inbound_at: string | null }[]
      }[]
    const [contact] = await until(found, (items) => items.length > 0)
    expect(contact).toMatchObject({
      first_name: 'Bruno',
      last_name: 'Lima',
      email: 'bruno@else.example',
      identities: [{ channel: 'mail', address: 'bruno@else.example' }],
    })
    expect(contact!.identities[0]!.first_inbound_at).not.toBeNull()
    const threads = await t.call('GET', `/v1/threads?contact_id=${contact!.id}`)
    expect(threads.body.items).toMatchObject([{ channel: 'mail', status: 'open' }])
    const msgs = await threadMessages(t, threads.body.items[0].id)
    expect(msgs).toMatchObject([
      {
        direction: 'in',
        text: 'Do you ship to Portugal?',
        email: { subject: 'Question about pricing', message_id: '<new-1@else.example>' },
      },
    ])
  })

  it('allow_with_open_thread: email may start a thread beside one open on another channel', async (ctx) => {
    const { expect } = ctx
    const { t } = await setup(ctx)
    const c = await t.call('POST', '/v1/contacts', {
      body: {
        first_name: 'Ana',
        email: CUSTOMER,
        identities: [{ channel: 'sms', address: '+491701234567' }],
      },
    })
    expect(c.status).toBe(201)
    const sms = await send(t, { contact_id: c.body.id, channel: 'sms', text: 'sms first' })
    const mail = await send(t, { contact_id: c.body.id, channel: 'mail', text: 'mail beside it' })
    expect(mail.thread_id).not.toBe(sms.thread_id)
    await settled(t, mail.id, 'sent')
    // The webhook channel keeps the default: it may not start one beside the open email thread.
    await t.call('POST', `/v1/threads/${sms.thread_id}/close`, { body: {} })
    const refused = await t.call('POST', '/v1/messages', {
      key: KEYS.alice,
      body: { contact_id: c.body.id, channel: 'sms', text: 'again' },
    })
    expect(refused.status).toBe(409)
    expect(refused.body.error).toMatchObject({
      code: 'thread_conflict',
      details: { thread_id: mail.thread_id },
    })
  })

  it('an SMTP 4xx is retried, then sent once', async (ctx) => {
    const { expect } = ctx
    const { t, sink } = await setup(ctx)
    sink.reply({ at: 'RCPT', code: 451, message: '4.7.1 Greylisted, try again later' })
    const m = await send(t, { to: { channel: 'mail', address: CUSTOMER }, text: 'x' })
    const got = await settled(t, m.id, 'sent')
    expect(got.attempts).toBe(2)
    expect(got.error).toBeNull()
    expect(sink.received).toHaveLength(1)
  })

  it('a 5xx "no such user" fails the message and makes the address unreachable', async (ctx) => {
    const { expect } = ctx
    const { t, sink, mailbox } = await setup(ctx)
    sink.reply({
      at: 'RCPT',
      code: 550,
      message: '5.1.1 <ana.lopez@customer.example>: User unknown',
    })
    const m = await send(t, { to: { channel: 'mail', address: CUSTOMER }, text: 'x' })
    const got = await settled(t, m.id, 'failed')
    expect(got.error).toMatchObject({ code: 'smtp_no_such_user' })
    expect(got.error.message).toContain('User unknown')
    expect(got.attempts).toBe(1)
    const contact = await t.call('GET', `/v1/contacts/${m.contact_id}`)
    expect(contact.body.identities).toMatchObject([{ channel: 'mail', reachable: false }])
    const next = await t.call('POST', '/v1/messages', {
      key: KEYS.alice,
      body: { contact_id: m.contact_id, channel: 'mail', text: 'again' },
    })
    expect(next.status).toBe(422)
    expect(next.body.error.code).toBe('contact_unreachable')
    // The person writing again makes the address reachable.
    await dovecot.append(
      customerMail({ id: '<back@customer.example>', text: 'I fixed my mailbox' }),
      mailbox,
    )
    await until(
      async () => (await t.call('GET', `/v1/contacts/${m.contact_id}`)).body.identities[0],
      (identity) => identity.reachable === true,
    )
    await send(t, { contact_id: m.contact_id, channel: 'mail', text: 'welcome back' })
  })

  it('a bounce (DSN) for our message marks it failed with the reason', async (ctx) => {
    const { expect } = ctx
    const { t, mailbox } = await setup(ctx)
    const m = await send(t, { to: { channel: 'mail', address: CUSTOMER }, text: 'x' })
    const pmid = (await settled(t, m.id, 'sent')).platform_message_id as string
    const dsn = [
      'From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>',
      'To: support@example.com',
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <dsn-1@mx.customer.example>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
      '',
      '--r',
      'Content-Type: text/plain',
      '',
      'Your message could not be delivered.',
      '--r',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.customer.example',
      '',
      `Final-Recipient: rfc822; ${CUSTOMER}`,
      'Action: failed',
      'Status: 5.2.2',
      'Diagnostic-Code: smtp; 552 5.2.2 Mailbox full',
      '--r',
      'Content-Type: text/rfc822-headers',
      '',
      'From: support@example.com',
      `To: ${CUSTOMER}`,
      `Message-ID: ${pmid}`,
      'Subject: A message from Example Support',
      '--r--',
      '',
    ].join('\r\n')
    await dovecot.append(dsn, mailbox)
    const got = await settled(t, m.id, 'failed')
    expect(got.error).toEqual({ code: 'bounced', message: '552 5.2.2 Mailbox full' })
    expect(await threadMessages(t, m.thread_id)).toHaveLength(1)
    const daemon = await t.call('GET', '/v1/contacts?q=mailer-daemon')
    expect(daemon.body.items).toEqual([])
  })

  it('a wrong IMAP password: the channel shows error with the reason; the webhook channel still sends', async (ctx) => {
    const { expect } = ctx
    const bad = dovecot.url.replace(`:${dovecot.pass}@`, ':wrong-password@')
    const { t, sink } = await setup(ctx, { imap: bad, waitConnected: false })
    const mail = await until(
      () => channel(t, 'mail'),
      (c) => c?.state === 'error',
    )
    expect(mail?.detail).toMatch(/IMAP login failed/)
    expect(mail?.detail).not.toContain('wrong-password')
    const held = await send(t, { to: { channel: 'mail', address: CUSTOMER }, text: 'held' })
    const m = await send(t, {
      to: { channel: 'sms', address: '+491701234567' },
      text: 'still here',
    })
    await settled(t, m.id, 'sent')
    expect(relay.received.filter((r) => r.idempotencyKey === m.id)).toHaveLength(1)
    expect((await channel(t, 'sms'))?.state).toBe('connected')
    // The email send waits for the channel instead of failing (leased once, so maybe `sending`).
    expect(['queued', 'sending']).toContain((await message(t, held.id)).status)
    expect(sink.received).toHaveLength(0)
  })

  it('a reply from the address in another letter case still lands in its thread', async (ctx) => {
    const { expect } = ctx
    const { t, mailbox } = await setup(ctx)
    // The agent typed the address as the customer gave it; their mail client writes it lowercase.
    const m = await send(t, {
      to: { channel: 'mail', address: 'Ana.Lopez@Customer.example' },
      text: 'x',
    })
    const pmid = (await settled(t, m.id, 'sent')).platform_message_id as string
    await dovecot.append(
      customerMail({
        id: '<case-1@customer.example>',
        from: 'ana.lopez@customer.example',
        text: 'lowercase me',
        headers: [`In-Reply-To: ${pmid}`],
      }),
      mailbox,
    )
    const msgs = await untilMessages(t, m.thread_id, 2)
    expect(msgs[1]).toMatchObject({ direction: 'in', text: 'lowercase me' })
    const contacts = await t.call('GET', '/v1/contacts?q=ana.lopez')
    expect(contacts.body.items).toHaveLength(1)
  })

  it('the SMTP listener takes a reply into its thread; the same mail by IMAP is stored once', async (ctx) => {
    const { expect } = ctx
    const { t, mailbox } = await setup(ctx, { listen: true })
    const m = await send(t, { to: { channel: 'mail', address: CUSTOMER }, text: 'x' })
    const pmid = (await settled(t, m.id, 'sent')).platform_message_id as string
    const connector = t.gw.svc.channels.get('mail') as EmailConnector
    const bound = connector.listenAddress()!
    expect((await channel(t, 'mail'))?.detail).toContain(`SMTP listener on 127.0.0.1:${bound.port}`)
    const raw = customerMail({
      id: '<both-1@customer.example>',
      text: 'sent by my provider',
      headers: [`In-Reply-To: ${pmid}`],
    })
    const mta = nodemailer.createTransport({ host: bound.host, port: bound.port, ignoreTLS: true })
    await mta.sendMail({ envelope: { from: CUSTOMER, to: ['support@example.com'] }, raw })
    mta.close()
    const msgs = await untilMessages(t, m.thread_id, 2)
    expect(msgs[1]).toMatchObject({ direction: 'in', text: 'sent by my provider' })
    // The same mail also lands in the IMAP mailbox: recognised by its Message-ID. A later mail
    // proves the IMAP copy was read before the assertion.
    await dovecot.append(raw, mailbox)
    await dovecot.append(
      customerMail({
        id: '<both-2@customer.example>',
        text: 'and one more',
        headers: [`In-Reply-To: ${pmid}`],
      }),
      mailbox,
    )
    const after = await untilMessages(t, m.thread_id, 3)
    expect(after.map((x) => x.text)).toEqual(['x', 'sent by my provider', 'and one more'])
  })
})
