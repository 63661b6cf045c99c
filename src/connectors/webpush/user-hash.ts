/**
 * `user_hash`: how a site proves that a push subscription belongs to one of its users. Its backend
 * computes hex HMAC-SHA256(channel `secret`, external_id) and hands it to the page; without the
 * secret nobody can register a subscription in someone else's name (DESIGN §6).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

const HEX_SHA256 = /^[0-9a-f]{64}$/i

/**
 * hex HMAC-SHA256(secret, externalId), lowercase: what the site's backend computes.
 * @internal exported for tests
 */
export function userHash(secret: string, externalId: string): string {
  return createHmac('sha256', secret).update(externalId, 'utf8').digest('hex')
}

/**
 * True when `hash` is `userHash(secret, externalId)` (hex, either case). Compared in constant time;
 * an empty secret never verifies, so a channel without one accepts no subscription.
 */
export function verifyUserHash(secret: string, externalId: string, hash: string): boolean {
  if (secret === '' || !HEX_SHA256.test(hash)) return false
  const expected = Buffer.from(userHash(secret, externalId), 'hex')
  return timingSafeEqual(expected, Buffer.from(hash, 'hex'))
}
