/**
 * `openAccept` on PostgreSQL: the idempotency key's lock and record, the contact's row lock and
 * the plan's thread as one round trip (with the transaction's BEGIN). The statements run in
 * order, each with its own snapshot: the thread is read once the contact's lock is held.
 */
import type { AcceptOpening, AcceptReads } from '../core/port.js'
import type { StoredIdempotency } from '../types.js'
import { CONTACT_LOCK } from './contact-rows.js'
import type { Sql, Statement } from './exec.js'
import { IDEMPOTENCY_GET, IDEMPOTENCY_LOCK } from './message-rows.js'
import type { PgThreadRow } from './rows.js'
import { THREAD_LOAD, threadState } from './thread-rows.js'

export async function openAccept(sql: Sql, q: AcceptReads): Promise<AcceptOpening> {
  const statements: Statement[] = []
  const idem = q.idempotency
  if (idem) {
    statements.push([IDEMPOTENCY_LOCK, [idem.keyId, idem.key]])
    statements.push([IDEMPOTENCY_GET, [idem.keyId, idem.key]])
  }
  if (q.contact !== null) statements.push([CONTACT_LOCK, [q.contact]])
  if (q.thread !== null) statements.push([THREAD_LOAD, [q.thread]])
  const results = await sql.many(statements)
  let at = idem ? 1 : 0
  const next = <R>(): R | undefined => results[at++]?.[0] as R | undefined
  const stored = idem ? (next<StoredIdempotency>() ?? null) : null
  const lock =
    q.contact === null ? undefined : next<{ version: number; merged_into: string | null }>()
  const thread = q.thread === null ? undefined : next<PgThreadRow>()
  return {
    stored,
    lock: lock ? { version: lock.version, merged_into: lock.merged_into ?? null } : null,
    thread: thread ? threadState(thread) : null,
  }
}
