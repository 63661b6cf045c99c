/**
 * The `X-Omnigate-Signature` scheme shared by webhook channels (outbound, inbound and status
 * routes) and app webhooks: `sha256=<hex HMAC-SHA256(secret, raw body)>`, computed over the exact
 * bytes on the wire, never over re-serialised JSON.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** The header every signed request carries. */
export const SIGNATURE_HEADER = 'x-omnigate-signature'

const PREFIX = 'sha256='
const HEX_SHA256 = /^[0-9a-f]{64}$/i

function digest(secret: string, rawBody: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(rawBody).digest()
}

/**
 * Signs a raw body: returns the header value `sha256=<hex>`. Throws on an empty secret, which
 * would sign with a key anyone knows.
 */
export function sign(secret: string, rawBody: string | Buffer): string {
  if (secret.length === 0) throw new TypeError('a signing secret must not be empty')
  return PREFIX + digest(secret, rawBody).toString('hex')
}

/**
 * Checks a signature header against the raw body in constant time. False for a missing or
 * malformed header and for an empty secret; hex case does not matter.
 */
export function verify(
  secret: string,
  rawBody: string | Buffer,
  header: string | null | undefined,
): boolean {
  if (typeof header !== 'string' || secret.length === 0) return false
  const value = header.trim()
  if (!value.startsWith(PREFIX)) return false
  const hex = value.slice(PREFIX.length)
  if (!HEX_SHA256.test(hex)) return false
  // Both buffers are 32 bytes here: timingSafeEqual throws on unequal lengths.
  return timingSafeEqual(Buffer.from(hex, 'hex'), digest(secret, rawBody))
}
