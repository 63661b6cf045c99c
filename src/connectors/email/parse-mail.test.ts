import { describe, expect, it } from 'vitest'
import { messageIds, parseMail } from './parse-mail.js'

const OPTS = { fallbackId: 'fallback', ownAddresses: new Set(['support@example.com']) }

async function threading(headers: string[]) {
  const raw = [
    'From: Ana <ana@customer.example>',
    'Message-ID: <reply@customer.example>',
    ...headers,
    'Subject: Re: x',
    '',
    'hi',
    '',
  ].join('\r\n')
  const outcome = await parseMail(Buffer.from(raw), OPTS)
  if (outcome.kind !== 'message') throw new Error(`not a message: ${outcome.kind}`)
  return outcome.message.email
}

// Each row: how a client wrote the header → the ids we match against our stored `<…>` ones.
describe('threading headers', () => {
  it.each([
    ['In-Reply-To: <msg_1@example.com>', '<msg_1@example.com>', []],
    ['In-Reply-To: msg_1@example.com', '<msg_1@example.com>', []],
    ['In-Reply-To: Your message of Tue, 4 Mar 2025 <msg_1@example.com>', '<msg_1@example.com>', []],
    ['In-Reply-To: <msg_1@example.com> (Ana López)', '<msg_1@example.com>', []],
    [
      'References: <a@x.example> <msg_1@example.com>',
      null,
      ['<a@x.example>', '<msg_1@example.com>'],
    ],
    [
      'References: <a@x.example><msg_1@example.com>',
      null,
      ['<a@x.example>', '<msg_1@example.com>'],
    ],
    [
      'References: <a@x.example>\r\n <msg_1@example.com>',
      null,
      ['<a@x.example>', '<msg_1@example.com>'],
    ],
    ['References: a@x.example msg_1@example.com', null, ['<a@x.example>', '<msg_1@example.com>']],
  ])('%s', async (header, inReplyTo, references) => {
    const email = await threading([header])
    expect(email?.inReplyTo).toBe(inReplyTo)
    expect(email?.references).toEqual(references)
  })

  it('keeps the mail’s own Message-ID in brackets, as our stored ids are', async () => {
    const email = await threading([])
    expect(email?.messageId).toBe('<reply@customer.example>')
  })

  it('finds nothing in a value without an id', () => {
    expect(messageIds(undefined)).toEqual([])
    expect(messageIds('<no id here>')).toEqual([])
  })
})
