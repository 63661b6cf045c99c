import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDovecot, type DovecotServer } from '../../../test/fakes/dovecot.js'
import { startSmtpSink, type SmtpSink } from '../../../test/fakes/smtp-sink.js'
import { KV_LAST_UID, KV_UIDVALIDITY } from './imap-receiver.js'
import { createEmailConnector, type EmailConnector } from './index.js'
import { recordingContext, type RecordingContext } from './recording-context.js'
import { settingsFrom } from '../shared/settings.test-helper.js'
import { emailSettings } from './settings.js'

const DEPS = { name: 'mail', publicUrl: 'http://localhost', allowPrivateUrls: false }

function mail(opts: {
  id?: string
  from?: string
  subject?: string
  text: string
  headers?: string[]
}): string {
  return [
    `From: ${opts.from ?? '"Ana María López" <Ana.Lopez@Customer.example>'}`,
    'To: support@example.com',
    `Subject: ${opts.subject ?? 'Where is my order?'}`,
    ...(opts.id ? [`Message-ID: ${opts.id}`] : []),
    'Date: Tue, 04 Mar 2025 10:00:00 +0000',
    ...(opts.headers ?? []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    opts.text,
    '',
  ].join('\r\n')
}

// Each test has its own mailbox and kv, so they share one Dovecot and run side by side.
describe.concurrent('email connector: IMAP inbound (Dovecot)', () => {
  let dovecot: DovecotServer
  let sink: SmtpSink
  const running: EmailConnector[] = []

  beforeAll(async () => {
    ;[dovecot, sink] = await Promise.all([startDovecot(), startSmtpSink()])
  })
  afterAll(async () => {
    await Promise.all(running.map((c) => c.stop()))
    await Promise.all([dovecot?.stop(), sink?.close()])
  })

  /** A fresh mailbox per test, so each starts from UID 1 with its own kv. */
  async function mailbox(name: string): Promise<string> {
    await dovecot.withClient((client) => client.mailboxCreate(name))
    return name
  }

  async function connect(box: string, ctx: RecordingContext, url = dovecot.url) {
    const connector = createEmailConnector(
      DEPS,
      settingsFrom(emailSettings, {
        type: 'email',
        smtp: { url: sink.url },
        imap: { url, mailbox: box },
        senders: ['support@example.com'],
      }),
    )
    running.push(connector)
    await connector.start(ctx)
    return connector
  }

  it('delivers an appended mail with sender, name, threading headers, trimmed text and attachment', async () => {
    const box = await mailbox('Parsed')
    const ctx = recordingContext()
    await connect(box, ctx)
    await ctx.until(() => ctx.states.at(-1)?.state === 'connected')
    const raw = [
      'From: "Ana María López" <Ana.Lopez@Customer.example>',
      'To: support@example.com',
      'Subject: Re: Your refund',
      'Message-ID: <reply-1@customer.example>',
      'In-Reply-To: <msg_01@example.com>',
      'References: <msg_00@example.com> <msg_01@example.com>',
      'Date: Tue, 04 Mar 2025 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Thanks, that works for me.',
      '',
      'On Mon, 3 Mar 2025 at 09:00, Support <support@example.com> wrote:',
      '> Your refund is on its way.',
      '> Best, Support',
      '--b1',
      'Content-Type: image/png; name="receipt.png"',
      'Content-Disposition: attachment; filename="receipt.png"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('not really a png').toString('base64'),
      '--b1--',
      '',
    ].join('\r\n')
    await dovecot.append(raw, box)
    await ctx.until(() => ctx.inbounds.length === 1)
    const msg = ctx.inbounds[0]
    expect(msg?.platformMessageId).toBe('<reply-1@customer.example>')
    expect(msg?.from).toMatchObject({
      address: 'ana.lopez@customer.example',
      displayName: 'Ana María López',
    })
    expect(msg?.text).toBe('Thanks, that works for me.')
    expect(msg?.email).toEqual({
      subject: 'Re: Your refund',
      messageId: '<reply-1@customer.example>',
      inReplyTo: '<msg_01@example.com>',
      references: ['<msg_00@example.com>', '<msg_01@example.com>'],
    })
    expect(msg?.sentAt).toBe('2025-03-04T10:00:00.000Z')
    expect(msg?.attachments).toHaveLength(1)
    expect(msg?.attachments[0]?.filename).toBe('receipt.png')
    expect(msg?.attachments[0]?.contentType).toBe('image/png')
    expect(msg?.attachments[0]?.data.toString()).toBe('not really a png')
  })

  it('after a restart fetches only the newer mails: none lost, none twice', async () => {
    const box = await mailbox('Restart')
    const store = new Map<string, string>()
    const first = recordingContext(store)
    const a = await connect(box, first)
    await dovecot.append(mail({ id: '<r1@customer.example>', text: 'one' }), box)
    await dovecot.append(mail({ id: '<r2@customer.example>', text: 'two' }), box)
    await first.until(() => first.calls.length === 2)
    await a.stop()
    // Arrives while the daemon is down; a mail without Message-ID gets a stable content id.
    await dovecot.append(mail({ text: 'three, sent while we were away' }), box)

    const second = recordingContext(store)
    await connect(box, second)
    await second.until(() => second.calls.length === 1)
    await dovecot.append(mail({ id: '<r4@customer.example>', text: 'four' }), box)
    await second.until(() => second.calls.length === 2)
    expect(first.calls.map((m) => m.text)).toEqual(['one', 'two'])
    expect(second.calls.map((m) => m.text)).toEqual(['three, sent while we were away', 'four'])
    expect(second.calls[0]?.platformMessageId).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(store.get(KV_LAST_UID)).toBe('4')
  })

  it('stores the UID only once the daemon took the mail, so a failed hand-over is retried', async () => {
    const box = await mailbox('Retry')
    const store = new Map<string, string>()
    const ctx = recordingContext(store)
    await connect(box, ctx)
    await ctx.until(() => ctx.states.at(-1)?.state === 'connected')
    ctx.failInbound(1)
    await dovecot.append(mail({ id: '<retry-1@customer.example>', text: 'please retry me' }), box)
    await ctx.until(() => ctx.states.some((s) => /could not hand over mail/.test(s.detail ?? '')))
    expect(store.get(KV_LAST_UID)).toBe('0')
    await ctx.until(() => ctx.calls.length === 1)
    expect(ctx.calls[0]?.text).toBe('please retry me')
    await ctx.until(() => store.get(KV_LAST_UID) === '1')
    // The daemon's failure is an error of the imap loop; it ticks again once the mail is taken.
    const errorAt = ctx.loopCalls.indexOf('error imap')
    expect(errorAt).toBeGreaterThan(0)
    await ctx.until(() => ctx.loopCalls.lastIndexOf('tick imap') > errorAt)
  })

  it('re-reads a mailbox whose UIDVALIDITY changed; the Message-ID keeps it free of duplicates', async () => {
    const box = await mailbox('Rebuilt')
    const store = new Map<string, string>()
    const first = recordingContext(store)
    const a = await connect(box, first)
    await dovecot.append(mail({ id: '<old@customer.example>', text: 'old' }), box)
    await first.until(() => first.calls.length === 1)
    await a.stop()
    const validity = store.get(KV_UIDVALIDITY)
    await dovecot.withClient(async (client) => {
      await client.mailboxDelete(box)
      await client.mailboxCreate(box)
    })
    await dovecot.append(mail({ id: '<old@customer.example>', text: 'old' }), box)
    await dovecot.append(mail({ id: '<new@customer.example>', text: 'new' }), box)

    const second = recordingContext(store)
    // The daemon's store is one: carry over what it already holds.
    second.inbounds.push(...first.inbounds)
    await connect(box, second)
    await second.until(() => second.calls.length === 2)
    expect(store.get(KV_UIDVALIDITY)).not.toBe(validity)
    expect(second.inbounds.map((m) => m.text)).toEqual(['old', 'new'])
  })

  it('turns a bounce of one of our mails into a failed status, not an inbound message', async () => {
    const box = await mailbox('Bounces')
    const ctx = recordingContext()
    await connect(box, ctx)
    const dsn = [
      'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>',
      'To: support@example.com',
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <dsn-1@mx.example.net>',
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
      'Reporting-MTA: dns; mx.example.net',
      '',
      'Final-Recipient: rfc822; nobody@customer.example',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 <nobody@customer.example>: User unknown',
      '--r',
      'Content-Type: text/rfc822-headers',
      '',
      'From: support@example.com',
      'To: nobody@customer.example',
      'Message-ID: <msg_01XYZ@example.com>',
      '--r--',
      '',
    ].join('\r\n')
    await dovecot.append(dsn, box)
    await dovecot.append(mail({ id: '<after-bounce@customer.example>', text: 'next' }), box)
    await ctx.until(() => ctx.calls.length === 1)
    expect(ctx.statuses).toEqual([
      {
        platformMessageId: '<msg_01XYZ@example.com>',
        status: 'failed',
        error: { code: 'bounced', message: '550 5.1.1 <nobody@customer.example>: User unknown' },
        at: undefined,
      },
    ])
    expect(ctx.calls.map((m) => m.text)).toEqual(['next'])
  })

  it('a wrong IMAP password sets state error with the reason; start() does not throw', async () => {
    const ctx = recordingContext()
    const url = `imap://${dovecot.user}:not-the-password@127.0.0.1:${dovecot.port}`
    await expect(connect('INBOX', ctx, url)).resolves.toBeDefined()
    await ctx.until(() => ctx.states.at(-1)?.state === 'error')
    const detail = ctx.states.at(-1)?.detail ?? ''
    expect(detail).toMatch(/^IMAP login failed: \[AUTHENTICATIONFAILED\]/)
    expect(detail).not.toContain('not-the-password')
  })
})
