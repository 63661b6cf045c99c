/**
 * LINE's `X-Line-Retry-Key` must be a UUID, and the same one on every retry of a message so LINE
 * delivers it once. A name-based (version 5) UUID of our message id is exactly that: the same id
 * always gives the same key, different ids practically never collide, and nothing is stored.
 */
import { createHash } from 'node:crypto'

/** A fixed namespace so our keys cannot collide with another program's v5 UUIDs of the same ids. */
const OMNIGATE_NAMESPACE = Buffer.from('omnigate-line-r1', 'utf8') // 16 bytes, like a UUID

/** The UUID v5 of `messageId`, as `xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx`. */
export function lineRetryKey(messageId: string): string {
  const hash = createHash('sha1').update(OMNIGATE_NAMESPACE).update(messageId, 'utf8').digest()
  const b = hash.subarray(0, 16)
  b[6] = (b[6]! & 0x0f) | 0x50 // version 5
  b[8] = (b[8]! & 0x3f) | 0x80 // RFC 4122 variant
  const hex = b.toString('hex')
  const groups = [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ]
  return groups.join('-')
}
