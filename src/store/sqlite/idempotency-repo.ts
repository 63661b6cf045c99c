/**
 * Stored answers to Idempotency-Key requests; written by accept in the transaction of the send.
 */
import type { StoredIdempotency } from '../types.js'
import { qb, type Executor } from './executor.js'

export class IdempotencyRepo {
  constructor(private readonly x: Executor) {}

  get(keyId: string, key: string): StoredIdempotency | null {
    const row = this.x.get<{ body_hash: string; status: number; response: string }>(
      qb
        .selectFrom('idempotency')
        .select(['body_hash', 'status', 'response'])
        .where('key_id', '=', keyId)
        .where('key', '=', key),
    )
    return row ? { bodyHash: row.body_hash, status: row.status, response: row.response } : null
  }
}
