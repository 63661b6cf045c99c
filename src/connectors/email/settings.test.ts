import { describe, expect, it } from 'vitest'
import { parseListenAddress, parseServerUrl, validateEmailSettings } from './settings.js'
import { displayNameOf } from './parse-mail.js'

describe('email settings', () => {
  it.each([
    [
      'smtp://u%40x.com:p%3Ass@smtp.example.com',
      'smtp',
      { host: 'smtp.example.com', port: 587, secure: false, user: 'u@x.com', pass: 'p:ss' },
    ],
    ['smtps://u:p@smtp.example.com', 'smtp', { port: 465, secure: true }],
    ['imaps://u:p@imap.example.com', 'imap', { port: 993, secure: true }],
    ['imap://u:p@127.0.0.1:1143?tls_insecure=1', 'imap', { port: 1143, tlsInsecure: true }],
  ] as const)('%s', (url, kind, want) => {
    expect(parseServerUrl(url, kind)).toMatchObject(want)
  })

  it('names the problem without echoing a URL that holds a password', () => {
    expect(() => parseServerUrl('http://u:hunter22@x', 'smtp')).toThrow(/smtp:\/\//)
    const errors = validateEmailSettings({
      smtp: { url: 'imap://u:hunter22@x' },
      imap: { url: 'not a url hunter22', mailbox: 'INBOX' },
      smtp_listen: 'nope',
      senders: ['Support <support@example.com>'],
    })
    expect(errors).toHaveLength(4)
    expect(errors.join(' ')).not.toContain('hunter22')
  })

  it.each([
    ['127.0.0.1:2525', { host: '127.0.0.1', port: 2525 }],
    ['[::1]:25', { host: '::1', port: 25 }],
    [':2525', { host: '0.0.0.0', port: 2525 }],
  ] as const)('listen %s', (raw, want) => {
    expect(parseListenAddress(raw)).toEqual(want)
  })

  it.each([
    ['Ana María López', { displayName: 'Ana María López' }],
    [' López, Ana ', { displayName: 'López, Ana' }],
    ['Ana@Customer.example', {}],
    ['', {}],
    [undefined, {}],
  ] as const)('name %s', (name, want) => {
    expect(displayNameOf(name, 'ana@customer.example')).toEqual(want)
  })
})
