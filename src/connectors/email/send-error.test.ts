import { describe, expect, it } from 'vitest'
import { toSendError } from './send-error.js'

const TO = 'ana@customer.example'
const NSU = 'smtp_no_such_user'
const REJ = 'smtp_rejected'
const TMP = 'smtp_temporary'

describe('toSendError', () => {
  // [case, nodemailer code, reply code, reply, command, kind, our code]
  it.each([
    ['451 greylisting', 'EENVELOPE', 451, '451 4.7.1 try later', 'RCPT TO', 'retry', TMP],
    ['421 closing', 'ECONNECTION', 421, '421 4.3.2 shutting down', 'CONN', 'retry', TMP],
    ['550 user unknown', 'EENVELOPE', 550, '550 5.1.1 User unknown', 'RCPT TO', 'unreachable', NSU],
    ['551 no such user', 'EENVELOPE', 551, '551 No such user here', 'RCPT TO', 'unreachable', NSU],
    ['553 unavailable', 'EENVELOPE', 553, '553 mailbox unavailable', 'RCPT TO', 'unreachable', NSU],
    ['550 spam', 'EMESSAGE', 550, '550 5.7.1 rejected as spam', 'DATA', 'rejected', REJ],
    ['553 our sender', 'EENVELOPE', 553, '553 mailbox unavailable', 'MAIL FROM', 'rejected', REJ],
    ['552 too big', 'EMESSAGE', 552, '552 too big', 'DATA', 'rejected', 'smtp_rejected'],
    ['login refused', 'EAUTH', 535, '535 5.7.8 bad credentials', 'AUTH', 'rejected', 'smtp_auth'],
    ['refused', 'ESOCKET', undefined, undefined, undefined, 'retry', 'smtp_connection'],
    ['timeout', 'ETIMEDOUT', undefined, undefined, 'CONN', 'retry', 'smtp_connection'],
    ['bad address', 'EENVELOPE', undefined, undefined, 'API', 'rejected', 'smtp_invalid_message'],
  ] as const)('%s → %s', (_name, code, responseCode, response, command, kind, ours) => {
    const error = toSendError({ code, responseCode, response, command, message: 'x' }, TO, false)
    expect(error.kind).toBe(kind)
    expect(error.code).toBe(ours)
  })

  it('judges by the customer’s own RCPT reply when bcc recipients failed differently', () => {
    const err = {
      code: 'EENVELOPE',
      responseCode: 451,
      response: '451 try later',
      rejectedErrors: [
        { responseCode: 451, response: '451 later', recipient: 'boss@shop.example' },
        { responseCode: 550, response: '550 5.1.1 unknown', recipient: TO, command: 'RCPT TO' },
      ],
    }
    expect(toSendError(err, TO, false).kind).toBe('unreachable')
  })

  it('marks a lost connection possibly delivered only once the body went out', () => {
    const lost = { code: 'ECONNECTION', message: 'Connection closed unexpectedly' }
    expect(toSendError(lost, TO, true).possiblyDelivered).toBe(true)
    expect(toSendError(lost, TO, false).possiblyDelivered).toBe(false)
    const refused = { code: 'EMESSAGE', responseCode: 451, response: '451 later', command: 'DATA' }
    expect(toSendError(refused, TO, true).possiblyDelivered).toBe(false)
  })

  it('keeps a secret the server echoes out of the message', () => {
    const err = { code: 'EAUTH', responseCode: 535, response: '535 bad password hunter22' }
    const error = toSendError(err, TO, false, (t) => t.split('hunter22').join('***'))
    expect(error.message).toBe('SMTP login failed: 535 bad password ***')
  })
})
