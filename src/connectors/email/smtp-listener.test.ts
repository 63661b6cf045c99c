import nodemailer from 'nodemailer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSmtpSink, type SmtpSink } from '../../../test/fakes/smtp-sink.js'
import { createEmailConnector, type EmailConnector } from './index.js'
import { recordingContext, type RecordingContext } from './recording-context.js'
import { settingsFrom } from '../shared/settings.test-helper.js'
import { emailSettings } from './settings.js'

const MAX_BYTES = 64 * 1024

describe('email connector: SMTP listener', () => {
  let sink: SmtpSink
  let connector: EmailConnector
  let ctx: RecordingContext
  let mta: ReturnType<typeof nodemailer.createTransport>

  beforeAll(async () => {
    sink = await startSmtpSink()
    connector = createEmailConnector(
      { name: 'mail', publicUrl: 'http://localhost', allowPrivateUrls: false },
      settingsFrom(emailSettings, {
        type: 'email',
        smtp: { url: sink.url },
        smtp_listen: '127.0.0.1:0',
        senders: ['support@example.com', 'billing@example.com'],
      }),
      { maxMessageBytes: MAX_BYTES },
    )
    ctx = recordingContext()
    await connector.start(ctx)
    const address = connector.listenAddress()
    if (!address) throw new Error(`listener did not start: ${JSON.stringify(ctx.states)}`)
    // The sending MTA of the test: plain SMTP, one connection per mail.
    mta = nodemailer.createTransport({ host: address.host, port: address.port, secure: false })
  })
  afterAll(async () => {
    mta?.close()
    await connector?.stop()
    await sink?.close()
  })

  it('accepts mail for one of the channel addresses and hands it over parsed', async () => {
    await mta.sendMail({
      from: '"Bo Chen" <bo@customer.example>',
      to: 'Support@Example.com',
      subject: 'Invoice question',
      messageId: '<listener-1@customer.example>',
      text: 'Is VAT included?\n\n> earlier text\n',
      attachments: [{ filename: 'invoice.pdf', content: Buffer.from('%PDF') }],
    })
    expect(ctx.calls).toHaveLength(1)
    const msg = ctx.calls[0]
    expect(msg?.platformMessageId).toBe('<listener-1@customer.example>')
    expect(msg?.from).toMatchObject({
      address: 'bo@customer.example',
      displayName: 'Bo Chen',
    })
    expect(msg?.text).toBe('Is VAT included?')
    expect(msg?.email?.subject).toBe('Invoice question')
    expect(msg?.attachments.map((a) => a.filename)).toEqual(['invoice.pdf'])
    expect(ctx.states.at(-1)).toMatchObject({ state: 'connected' })
  })

  it('refuses other recipients at RCPT with 550', async () => {
    const err = await mta
      .sendMail({ from: 'bo@customer.example', to: 'someone-else@example.com', text: 'hi' })
      .then(
        () => null,
        (e: unknown) => e as { responseCode?: number; command?: string },
      )
    expect(err?.responseCode).toBe(550)
    expect(err?.command).toBe('RCPT TO')
  })

  it('refuses a mail over max_message_bytes with 552', async () => {
    const before = ctx.calls.length
    const err = await mta
      .sendMail({
        from: 'bo@customer.example',
        to: 'billing@example.com',
        text: 'x'.repeat(MAX_BYTES * 2),
      })
      .then(
        () => null,
        (e: unknown) => e as { responseCode?: number },
      )
    expect(err?.responseCode).toBe(552)
    expect(ctx.calls).toHaveLength(before)
  })

  it('answers 451 when the daemon cannot take the mail, so the sender retries', async () => {
    ctx.failInbound(1)
    const mail = {
      from: 'bo@customer.example',
      to: 'billing@example.com',
      messageId: '<listener-retry@customer.example>',
      text: 'second try works',
    }
    const err = await mta.sendMail(mail).then(
      () => null,
      (e: unknown) => e as { responseCode?: number },
    )
    expect(err?.responseCode).toBe(451)
    await mta.sendMail(mail)
    expect(ctx.calls.at(-1)?.text).toBe('second try works')
  })

  it('reports a bounce received over SMTP as a failed status', async () => {
    const raw = [
      'From: MAILER-DAEMON@mx.example.net',
      'To: support@example.com',
      'Subject: Delivery Status Notification (Failure)',
      'Message-ID: <dsn-listener@mx.example.net>',
      '',
      'Delivery to the following recipient failed permanently:',
      '',
      '     gone@customer.example',
      '',
      '550 5.1.1 The email account that you tried to reach does not exist.',
      '',
      '----- Original message -----',
      '',
      'Message-ID: <msg_02ABC@example.com>',
      'Subject: Your order',
      '',
    ].join('\r\n')
    const before = ctx.calls.length
    await mta.sendMail({
      envelope: { from: '', to: ['support@example.com'] },
      raw,
    })
    expect(ctx.calls).toHaveLength(before)
    expect(ctx.statuses.at(-1)).toMatchObject({
      platformMessageId: '<msg_02ABC@example.com>',
      status: 'failed',
      error: {
        code: 'bounced',
        message: '550 5.1.1 The email account that you tried to reach does not exist.',
      },
    })
  })
})

describe('email connector: SMTP listener that cannot listen', () => {
  it('reports the channel in error instead of throwing from start()', async () => {
    const sink = await startSmtpSink()
    const deps = { name: 'mail', publicUrl: 'http://localhost', allowPrivateUrls: false }
    // The sink's own port is taken.
    const settings = settingsFrom(emailSettings, {
      type: 'email',
      smtp: { url: sink.url },
      smtp_listen: `127.0.0.1:${sink.port}`,
      senders: ['a@b.example'],
    })
    const connector = createEmailConnector(deps, settings)
    const ctx = recordingContext()
    try {
      await expect(connector.start(ctx)).resolves.toBeUndefined()
      expect(ctx.states.at(-1)?.state).toBe('error')
      expect(ctx.states.at(-1)?.detail).toContain('EADDRINUSE')
    } finally {
      await connector.stop()
      await sink.close()
    }
  })
})
