/**
 * Stored answers to Idempotency-Key requests; written by accept in the transaction of the send.
 */
import type { StoredIdempotency } from '../types.js'
import type { Executor } from './executor.js'

// Read by every send with an Idempotency-Key: prepared once.
const GET = `SELECT body_hash, status, response FROM idempotency WHERE key_id = ? AND key = ?`

export class IdempotencyRepo {
  constructor(private readonly x: Executor) {}

  get(keyId: string, key: string): StoredIdempotency | null {
    const row = this.x.stmt(GET).get(keyId, key) as
      { body_hash: string; status: number; response: string } | undefined
    return row ? { bodyHash: row.body_hash, status: row.status, response: row.response } : null
  }
}
