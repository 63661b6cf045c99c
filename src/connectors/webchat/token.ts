/**
 * The widget's session token (DESIGN §12): what `POST …/webchat/session` hands the page after the
 * `user_hash` check, carried by every later call (`?token=` on GETs, `Bearer` on POSTs). It is
 * `<base64url JSON {c: channel, ct: contact_id, x: external_id, exp: unix s}>.<base64url HMAC>`,
 * signed with a key derived from the channel `secret` (never the secret itself, so a token can
 * never be mistaken for a user_hash), and short-lived: a page asks for a new one when it expires.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** One hour: long enough for a chat, short enough that a leaked token soon stops working. */
export const TOKEN_TTL_MS = 3_600_000

export interface WebchatToken {
  channel: string
  contactId: string
  externalId: string
  /** Expiry, unix milliseconds. */
  expiresAt: number
}

function tokenKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('omnigate webchat session token v1').digest()
}

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', tokenKey(secret)).update(payload).digest()
}

/** A signed token for the visitor. */
export function signToken(secret: string, t: WebchatToken): string {
  const payload = Buffer.from(
    JSON.stringify({ c: t.channel, ct: t.contactId, x: t.externalId, exp: t.expiresAt }),
  ).toString('base64url')
  return `${payload}.${mac(secret, payload).toString('base64url')}`
}

export type TokenCheck =
  { ok: true; token: WebchatToken } | { ok: false; reason: 'invalid' | 'expired' }

/** Checks signature (constant time), channel and expiry. */
export function verifyToken(
  secret: string,
  channel: string,
  text: string,
  nowMs: number,
): TokenCheck {
  const [payload, sig, extra] = text.split('.')
  if (secret === '' || !payload || !sig || extra !== undefined)
    return { ok: false, reason: 'invalid' }
  const expected = mac(secret, payload)
  const given = Buffer.from(sig, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'invalid' }
  let body: unknown
  try {
    body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return { ok: false, reason: 'invalid' }
  }
  const b = body as { c?: unknown; ct?: unknown; x?: unknown; exp?: unknown }
  if (
    typeof b.c !== 'string' ||
    typeof b.ct !== 'string' ||
    typeof b.x !== 'string' ||
    typeof b.exp !== 'number' ||
    b.c !== channel
  )
    return { ok: false, reason: 'invalid' }
  if (b.exp <= nowMs) return { ok: false, reason: 'expired' }
  return { ok: true, token: { channel: b.c, contactId: b.ct, externalId: b.x, expiresAt: b.exp } }
}
