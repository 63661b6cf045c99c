/**
 * PostgreSQL's store faults (DESIGN §10, issue 13: a restarting server answers 503, never 500 or a
 * hang). The server says what went wrong in a SQLSTATE (`.code`). The driver's own failures carry
 * Node's socket codes (`ECONNREFUSED` …, which a connector's errors carry too, so they cannot mean
 * "store" by themselves) or no code at all (a connection lost mid-query, a pool that cannot
 * connect in time): `connectionLost` turns those, at the dialect's edge, into an error with the
 * SQLSTATE `08006` (connection_failure) so `store-fault.ts` classifies every one by code.
 */
import type { StoreFaultKind } from '../store-fault.js'

/** SQLSTATEs by kind; class 08 (connection exception) is all `busy`. */
const PG_FAULT_KINDS: Record<string, StoreFaultKind> = {
  // Transient: the server restarts, refuses for now, or a lock/serialization race; retry shortly.
  '57P01': 'busy', // admin_shutdown (the server is stopping)
  '57P02': 'busy', // crash_shutdown
  '57P03': 'busy', // cannot_connect_now (starting up, recovering)
  '53300': 'busy', // too_many_connections
  '40001': 'busy', // serialization_failure
  '40P01': 'busy', // deadlock_detected (one side is rolled back)
  '55P03': 'busy', // lock_not_available
  '57014': 'busy', // query_canceled (statement_timeout)
  // The server's disk.
  '53100': 'full', // disk_full
  '58030': 'io', // io_error
  XX001: 'io', // data_corrupted
}

/** The kind of a PostgreSQL or socket code, or undefined. */
export function pgFaultKind(code: string): StoreFaultKind | undefined {
  if (/^08[0-9A-Z]{3}$/.test(code)) return 'busy'
  return Object.hasOwn(PG_FAULT_KINDS, code) ? PG_FAULT_KINDS[code] : undefined
}

/** pg's messages for a connection that is gone (they come without a code). */
const LOST = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /is not queryable/,
  /^Client was closed and is not queryable/,
]

/** Socket failures on the way to the server. */
const SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH'])

/**
 * A connection-level failure from the driver as an error with code `08006` (the original as its
 * cause); anything else (the server's own errors, bugs) as it was.
 */
export function connectionLost(err: unknown): unknown {
  if (!(err instanceof Error)) return err
  const code = (err as { code?: unknown }).code
  const lost =
    (typeof code === 'string' && SOCKET.has(code)) ||
    (code === undefined && LOST.some((re) => re.test(err.message)))
  if (!lost) return err
  return Object.assign(new Error(`PostgreSQL connection lost: ${err.message}`, { cause: err }), {
    code: '08006',
  })
}
