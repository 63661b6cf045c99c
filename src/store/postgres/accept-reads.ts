/**
 * `openAccept` and `openAccepts` on PostgreSQL: the idempotency key's lock and record, the
 * contact's row lock and the plan's thread as one round trip (with the transaction's BEGIN). The
 * statements run in order, each with its own snapshot: the thread is read once the contact's
 * lock is held.
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

/**
 * A group's openings in one round trip: every key's lock (sorted), every record, every contact's
 * lock in code-unit order of the ids (every group of every daemon locks in this order, so two
 * groups never wait on each other in a circle), then the threads, read under those locks.
 */
export async function openAccepts(sql: Sql, qs: readonly AcceptReads[]): Promise<AcceptOpening[]> {
  const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
  const keyOf = (k: { keyId: string; key: string }): string => `${k.keyId}\u0000${k.key}`
  const keyed = qs.flatMap((q) => (q.idempotency ? [{ q, key: q.idempotency }] : []))
  const locking = [...keyed].sort((a, b) => byCode(keyOf(a.key), keyOf(b.key)))
  const contacts = [...new Set(qs.flatMap((q) => (q.contact === null ? [] : [q.contact])))].sort(
    byCode,
  )
  const threads = qs.flatMap((q) => (q.thread === null ? [] : [q.thread]))
  const statements: Statement[] = [
    ...locking.map(({ key }): Statement => [IDEMPOTENCY_LOCK, [key.keyId, key.key]]),
    ...keyed.map(({ key }): Statement => [IDEMPOTENCY_GET, [key.keyId, key.key]]),
    ...contacts.map((id): Statement => [CONTACT_LOCK, [id]]),
    ...threads.map((id): Statement => [THREAD_LOAD, [id]]),
  ]
  const results = await sql.many(statements)
  const first = <R>(i: number): R | undefined => results[i]?.[0] as R | undefined
  let at = locking.length
  const stored = new Map(keyed.map(({ q }) => [q, first<StoredIdempotency>(at++) ?? null]))
  const locks = new Map(
    contacts.map((id) => [id, first<{ version: number; merged_into: string | null }>(at++)]),
  )
  const loaded = new Map(threads.map((id) => [id, first<PgThreadRow>(at++)]))
  return qs.map((q) => {
    const lock = q.contact === null ? undefined : locks.get(q.contact)
    const thread = q.thread === null ? undefined : loaded.get(q.thread)
    return {
      stored: stored.get(q) ?? null,
      lock: lock ? { version: lock.version, merged_into: lock.merged_into ?? null } : null,
      thread: thread ? threadState(thread) : null,
    }
  })
}
