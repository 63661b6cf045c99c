import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDovecot, type DovecotServer } from '../../../test/fakes/dovecot.js'
import { startSmtpSink, type SmtpSink } from '../../../test/fakes/smtp-sink.js'
import { createEmailConnector, type EmailConnector } from './index.js'
import { recordingContext } from './recording-context.js'
import { settingsFrom } from '../shared/settings.test-helper.js'
import { emailSettings } from './settings.js'

// Its own Dovecot: restarting it would cut the sessions of the other IMAP tests.
describe('email connector: IMAP server restart', () => {
  let dovecot: DovecotServer
  let sink: SmtpSink
  let connector: EmailConnector | undefined

  beforeAll(async () => {
    ;[dovecot, sink] = await Promise.all([startDovecot(), startSmtpSink()])
  })
  afterAll(async () => {
    await connector?.stop()
    await Promise.all([dovecot?.stop(), sink?.close()])
  })

  it('reconnects after the server went away and picks up the mail that came meanwhile', async () => {
    const ctx = recordingContext()
    connector = createEmailConnector(
      { name: 'mail', publicUrl: 'http://localhost', allowPrivateUrls: false },
      settingsFrom(emailSettings, {
        type: 'email',
        smtp: { url: sink.url },
        imap: { url: dovecot.url },
        senders: ['support@example.com'],
      }),
    )
    await connector.start(ctx)
    await ctx.until(() => ctx.states.at(-1)?.state === 'connected')
    await dovecot.restart()
    const raw =
      'From: ana@customer.example\r\nMessage-ID: <during@x>\r\nSubject: hi\r\n\r\nstill there?\r\n'
    await dovecot.append(raw)
    await ctx.until(() => ctx.calls.length === 1)
    expect(ctx.calls[0]?.text).toBe('still there?')
    expect(ctx.states.some((s) => s.state === 'connecting' || s.state === 'disconnected')).toBe(
      true,
    )
    await ctx.until(() => ctx.states.at(-1)?.state === 'connected')
  })
})
