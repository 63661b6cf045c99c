import { createHmac } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import {
  sign,
  signedHeaders,
  signStandard,
  standardWebhooksSecret,
  verify,
  verifyRequest,
  type SignatureCheck,
} from './signature.js'

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

// A fixed clock: 2025-01-02T03:04:05Z.
const NOW_MS = 1_735_787_045_000
const NOW_S = String(NOW_MS / 1000)
const MINUTE = 60

/** Standard headers for `body`, signed with the official library (not our code), at `ts`. */
function libraryHeaders(opts: { key?: string; ts?: number; id?: string; payload?: string } = {}) {
  const ts = opts.ts ?? NOW_MS / 1000
  const id = opts.id ?? 'msg_01'
  const wh = new Webhook(standardWebhooksSecret(opts.key ?? secret))
  return {
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': wh.sign(id, new Date(ts * 1000), opts.payload ?? body),
  }
}

describe('signStandard', () => {
  it('is v1, and the base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed with the secret', () => {
    const b64 = createHmac('sha256', secret).update(`msg_01.${NOW_S}.${body}`).digest('base64')
    expect(signStandard(secret, 'msg_01', NOW_S, body)).toBe(`v1,${b64}`)
    expect(signStandard(secret, 'msg_01', NOW_S, Buffer.from(body))).toBe(`v1,${b64}`)
  })

  it('refuses an empty secret', () => {
    expect(() => signStandard('', 'msg_01', NOW_S, body)).toThrow(TypeError)
    expect(() => signedHeaders('', 'msg_01', body)).toThrow(TypeError)
  })
})

describe('signedHeaders', () => {
  it('carries both forms: the bare signature, and webhook-id/-timestamp/-signature of this attempt', () => {
    const h = signedHeaders(secret, 'msg_01', body, NOW_MS + 999)
    expect(h).toEqual({
      'x-omnigate-signature': sign(secret, body),
      'webhook-id': 'msg_01',
      'webhook-timestamp': NOW_S,
      'webhook-signature': signStandard(secret, 'msg_01', NOW_S, body),
    })
  })

  it.each([
    ['an ASCII secret', 'relay-secret'],
    ['a non-ASCII secret', 'sécret-ü-€-🔑'],
  ])(
    'verifies with the standardwebhooks library given whsec_ + base64(secret) or the raw bytes (%s)',
    (_name, key) => {
      const h = signedHeaders(key, 'ev_01', body)
      expect(standardWebhooksSecret(key)).toBe(`whsec_${Buffer.from(key).toString('base64')}`)
      expect(new Webhook(standardWebhooksSecret(key)).verify(body, { ...h })).toEqual(
        JSON.parse(body),
      )
      const raw = new Webhook(new TextEncoder().encode(key), { format: 'raw' })
      expect(raw.verify(Buffer.from(body), { ...h })).toEqual(JSON.parse(body))
      // … and not with another secret
      expect(() => new Webhook(standardWebhooksSecret(`${key}x`)).verify(body, { ...h })).toThrow()
    },
  )
})

describe('verifyRequest', () => {
  type Row = {
    name: string
    headers: Record<string, string>
    payload?: string
    requireTimestamp?: boolean
    key?: string
    expected: SignatureCheck
  }
  const std = libraryHeaders()
  const bare = { 'x-omnigate-signature': sign(secret, body) }
  const other = libraryHeaders({ key: 'other-secret' })['webhook-signature']
  const ok = { ok: true, form: 'standard' } as const
  const mismatch = { ok: false, problem: 'mismatch' } as const
  const malformed = { ok: false, problem: 'malformed' } as const
  const omit = (h: Record<string, string>, k: string) =>
    Object.fromEntries(Object.entries(h).filter(([n]) => n !== k))

  const rows: Row[] = [
    { name: 'standard, good', headers: std, expected: ok },
    {
      name: 'standard, good, require_timestamp on',
      headers: std,
      requireTimestamp: true,
      expected: ok,
    },
    {
      name: 'standard, our own signedHeaders',
      headers: { ...signedHeaders(secret, 'msg_01', body, NOW_MS) },
      expected: ok,
    },
    {
      name: 'standard, wrong secret',
      headers: libraryHeaders({ key: 'other-secret' }),
      expected: mismatch,
    },
    { name: 'standard, tampered body', headers: std, payload: `${body} `, expected: mismatch },
    {
      name: 'standard, another webhook-id',
      headers: { ...std, 'webhook-id': 'msg_02' },
      expected: mismatch,
    },
    {
      name: 'standard, timestamp moved',
      headers: { ...std, 'webhook-timestamp': String(NOW_MS / 1000 + 1) },
      expected: mismatch,
    },
    {
      name: 'standard, 6 min old',
      headers: libraryHeaders({ ts: NOW_MS / 1000 - 6 * MINUTE }),
      expected: { ok: false, problem: 'expired', skewSeconds: 360 },
    },
    {
      name: 'standard, 6 min in the future',
      headers: libraryHeaders({ ts: NOW_MS / 1000 + 6 * MINUTE }),
      expected: { ok: false, problem: 'expired', skewSeconds: -360 },
    },
    {
      name: 'standard, 5 min old (the edge)',
      headers: libraryHeaders({ ts: NOW_MS / 1000 - 5 * MINUTE }),
      expected: ok,
    },
    {
      name: 'standard, 5 min ahead (the edge)',
      headers: libraryHeaders({ ts: NOW_MS / 1000 + 5 * MINUTE }),
      expected: ok,
    },
    {
      name: 'standard, 5 min 1 s old',
      headers: libraryHeaders({ ts: NOW_MS / 1000 - 5 * MINUTE - 1 }),
      expected: { ok: false, problem: 'expired', skewSeconds: 301 },
    },
    {
      name: 'standard, 6 min old and a wrong signature',
      headers: libraryHeaders({ key: 'x', ts: NOW_MS / 1000 - 6 * MINUTE }),
      expected: mismatch,
    },
    {
      name: 'standard, several signatures, one valid',
      headers: {
        ...std,
        'webhook-signature': `${other} v1a,c29tZSBlZDI1NTE5 ${std['webhook-signature']}`,
      },
      expected: ok,
    },
    {
      name: 'standard, several signatures, none valid',
      headers: { ...std, 'webhook-signature': `${other} v1,${'A'.repeat(43)}= v2,abc` },
      expected: mismatch,
    },
    {
      name: 'standard, the signature without v1,',
      headers: { ...std, 'webhook-signature': std['webhook-signature'].slice(3) },
      expected: mismatch,
    },
    {
      name: 'standard, empty signature',
      headers: { ...std, 'webhook-signature': '' },
      expected: mismatch,
    },
    { name: 'standard, missing webhook-id', headers: omit(std, 'webhook-id'), expected: malformed },
    {
      name: 'standard, missing webhook-timestamp',
      headers: omit(std, 'webhook-timestamp'),
      expected: malformed,
    },
    {
      name: 'standard, timestamp in ms',
      headers: { ...std, 'webhook-timestamp': String(NOW_MS) },
      expected: mismatch,
    },
    {
      name: 'standard, timestamp not a number',
      headers: { ...std, 'webhook-timestamp': '2025-01-02T03:04:05Z' },
      expected: malformed,
    },
    { name: 'standard, empty secret', headers: std, key: '', expected: mismatch },
    {
      name: 'standard expired, bare valid: no fallback to the bare form',
      headers: { ...libraryHeaders({ ts: NOW_MS / 1000 - 6 * MINUTE }), ...bare },
      expected: { ok: false, problem: 'expired', skewSeconds: 360 },
    },
    {
      name: 'standard wrong, bare valid: no fallback',
      headers: { ...libraryHeaders({ key: 'x' }), ...bare },
      expected: mismatch,
    },
    {
      name: 'bare, good, require_timestamp off',
      headers: bare,
      expected: { ok: true, form: 'bare' },
    },
    {
      name: 'bare, good, require_timestamp on',
      headers: bare,
      requireTimestamp: true,
      expected: { ok: false, problem: 'timestamp_required' },
    },
    {
      name: 'bare, wrong secret',
      headers: { 'x-omnigate-signature': sign('other', body) },
      expected: mismatch,
    },
    {
      name: 'bare, wrong secret, require_timestamp on',
      headers: { 'x-omnigate-signature': sign('other', body) },
      requireTimestamp: true,
      expected: { ok: false, problem: 'timestamp_required' },
    },
    { name: 'bare, tampered body', headers: bare, payload: `${body} `, expected: mismatch },
    { name: 'no signature at all', headers: {}, expected: { ok: false, problem: 'unsigned' } },
    {
      name: 'no signature at all, require_timestamp on',
      headers: {},
      requireTimestamp: true,
      expected: { ok: false, problem: 'unsigned' },
    },
    {
      name: 'only webhook-id and webhook-timestamp',
      headers: omit(std, 'webhook-signature'),
      expected: { ok: false, problem: 'unsigned' },
    },
  ]

  it.each(rows)('$name', (row) => {
    const headers = new Map(Object.entries(row.headers))
    const got = verifyRequest(
      row.key ?? secret,
      Buffer.from(row.payload ?? body),
      (n) => headers.get(n),
      {
        requireTimestamp: row.requireTimestamp ?? false,
        nowMs: NOW_MS,
      },
    )
    expect(got).toEqual(row.expected)
  })
})
