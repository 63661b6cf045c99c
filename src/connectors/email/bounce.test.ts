import { simpleParser } from 'mailparser'
import { describe, expect, it } from 'vitest'
import { parseMail } from './parse-mail.js'

const OPTS = { fallbackId: 'fallback', ownAddresses: new Set(['support@example.com']) }

function report(action: string, diagnostic: string | null, original: string): string {
  return [
    'From: postmaster@mx.example.net',
    'To: support@example.com',
    'Subject: Delivery report',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
    '',
    '--r',
    'Content-Type: text/plain',
    '',
    'Report.',
    '--r',
    'Content-Type: message/delivery-status',
    '',
    'Final-Recipient: rfc822; x@customer.example',
    `Action: ${action}`,
    'Status: 4.4.7',
    ...(diagnostic ? [`Diagnostic-Code: smtp; ${diagnostic}`, '  continued'] : []),
    '--r',
    'Content-Type: message/rfc822',
    '',
    original,
    '--r--',
    '',
  ].join('\r\n')
}

describe('bounces', () => {
  it('a failed report names the original Message-ID and the remote reply (unfolded)', async () => {
    const original = 'Message-ID:\r\n <msg_9@example.com>\r\nSubject: x\r\n\r\nbody'
    const raw = report('failed', '552 mailbox full', original)
    expect(await parseMail(Buffer.from(raw), OPTS)).toEqual({
      kind: 'status',
      update: {
        platformMessageId: '<msg_9@example.com>',
        status: 'failed',
        error: { code: 'bounced', message: '552 mailbox full continued' },
        at: undefined,
      },
    })
  })

  it('reads an original Message-ID written without angle brackets as the bracketed one we store', async () => {
    const raw = report('failed', '550 5.1.1 no such user', 'Message-Id: msg_6@example.com\r\n\r\nb')
    const outcome = await parseMail(Buffer.from(raw), OPTS)
    expect(outcome).toMatchObject({
      kind: 'status',
      update: { platformMessageId: '<msg_6@example.com>' },
    })
  })

  it('falls back to the Status field when there is no diagnostic', async () => {
    const raw = report('failed', null, 'Message-ID: <msg_8@example.com>\r\n\r\nbody')
    const outcome = await parseMail(Buffer.from(raw), OPTS)
    expect(outcome).toMatchObject({
      kind: 'status',
      update: { error: { message: 'status 4.4.7' } },
    })
  })

  it('a "delayed" report is neither a failure nor an inbound message', async () => {
    const raw = report('delayed', '451 try later', 'Message-ID: <msg_7@example.com>\r\n\r\nbody')
    const outcome = await parseMail(Buffer.from(raw), OPTS)
    expect(outcome).toEqual({ kind: 'ignored', reason: 'delay notification' })
  })

  it('a bounce that does not name our mail is dropped, not shown as a customer mail', async () => {
    const raw = 'From: MAILER-DAEMON@mx.example.net\r\nSubject: failure\r\n\r\n550 no such user\r\n'
    expect(await parseMail(Buffer.from(raw), OPTS)).toMatchObject({ kind: 'ignored' })
  })

  it('an ordinary mail from a person is not a bounce', async () => {
    const raw =
      'From: Ana <ana@customer.example>\r\nSubject: Hi\r\n\r\nMessage-ID: <x@y> in text\r\n'
    const outcome = await parseMail(Buffer.from(raw), OPTS)
    expect(outcome.kind).toBe('message')
  })

  it('ignores copies sent by our own addresses', async () => {
    const raw = 'From: Support <Support@Example.com>\r\nSubject: Hi\r\n\r\nbcc copy\r\n'
    const outcome = await parseMail(Buffer.from(raw), OPTS)
    expect(outcome).toEqual({ kind: 'ignored', reason: 'sent by our own address' })
  })

  it('parses the fixture the way the connector expects mailparser to', async () => {
    // Guards the assumption bounce.ts relies on: the delivery-status part is folded into text.
    const parsed = await simpleParser(report('failed', '550 x', 'Message-ID: <m@x>\r\n\r\nb'))
    expect(parsed.text).toContain('Action: failed')
  })
})
