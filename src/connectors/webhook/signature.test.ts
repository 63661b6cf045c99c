import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sign, verify } from './signature.js'

const secret = 'relay-secret'
const body = '{"id":"msg_01","text":"Hi Ana"}'

describe('sign', () => {
  it('is sha256= and the hex HMAC-SHA256 of the raw body', () => {
    const hex = createHmac('sha256', secret).update(body).digest('hex')
    expect(sign(secret, body)).toBe(`sha256=${hex}`)
  })

  it('signs bytes and the same string alike', () => {
    expect(sign(secret, Buffer.from(body))).toBe(sign(secret, body))
  })

  it('refuses an empty secret', () => {
    expect(() => sign('', body)).toThrow(TypeError)
  })
})

describe('verify', () => {
  const good = sign(secret, body)

  it('accepts the right signature, in either hex case', () => {
    expect(verify(secret, body, good)).toBe(true)
    const upper = `sha256=${good.slice('sha256='.length).toUpperCase()}`
    expect(verify(secret, Buffer.from(body), upper)).toBe(true)
  })

  it.each<[string, string | null | undefined]>([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['no prefix', good.slice('sha256='.length)],
    ['other algorithm', good.replace('sha256=', 'sha1=')],
    ['short', good.slice(0, -2)],
    ['long', `${good}00`],
    ['not hex', `sha256=${'z'.repeat(64)}`],
  ])('refuses a %s header', (_name, header) => {
    expect(verify(secret, body, header)).toBe(false)
  })

  it('refuses a signature made with another secret or over another body', () => {
    expect(verify(secret, body, sign('other', body))).toBe(false)
    expect(verify(secret, `${body} `, good)).toBe(false)
  })

  it('refuses everything when the secret is empty', () => {
    const emptyKeyed = `sha256=${createHmac('sha256', '').update(body).digest('hex')}`
    expect(verify('', body, emptyKeyed)).toBe(false)
  })
})
