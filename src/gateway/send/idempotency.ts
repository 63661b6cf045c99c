/**
 * `Idempotency-Key` (DESIGN §6): the first accepted answer is stored with the key and the body's
 * hash; the same key with the same bytes replays it, with other bytes is `409
 * idempotency_mismatch`.
 */
import { createHash } from 'node:crypto'
import { apiError } from '../errors.js'

/** The key a caller sent and the hash of the raw body it came with. */
export interface Idempotency {
  key: string
  bodyHash: string
}

/** What a send answers: 202 once on disk, 200 for a dry run's decision. */
export interface SendOutcome {
  status: 200 | 202
  body: Record<string, unknown>
}

/** sha256 of the raw body: "same key + same body" is byte-for-byte. */
export function bodyHash(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex')
}

/** The stored answer of an earlier send with this key, or `idempotency_mismatch`. */
export function replay(
  seen: { bodyHash: string; status: number; response: string },
  bodyHashNow: string,
): SendOutcome {
  if (seen.bodyHash !== bodyHashNow) {
    throw apiError(
      'idempotency_mismatch',
      'this Idempotency-Key was already used with a different body',
      {},
    )
  }
  const body = JSON.parse(seen.response) as Record<string, unknown>
  // An answer stored before the 202 carried `address` replays with it too.
  if (body.address === undefined && typeof body.to === 'string') body.address = body.to
  return { status: seen.status as 202, body }
}
