/**
 * The `pg` connection pool of the PostgreSQL store (DESIGN §10). Its type parsers keep rows in the
 * shapes the SQLite dialect returns, so records are byte-identical on both: `bigint` (ms times,
 * counts) as a JS number, `json` as the text that was stored (the row mappers parse it, key order
 * kept), `timestamptz` never appears (times are ISO text, see migrations/001-initial.ts).
 */
import pg from 'pg'

const INT8_OID = 20
const JSON_OID = 114

/** Every int8 we store is a ms time, a count or a sequence number: far below 2^53. */
const parseInt8 = (text: string): number => Number(text)
const rawText = (text: string): string => text

/** The pool's own type parsers; the process-wide `pg.types` is left alone. */
// pg reads every column as text unless asked otherwise; its built-in parsers for the rest.
const builtin = pg.types.getTypeParser as (oid: number, format: 'text') => (text: string) => unknown
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number): ((text: string) => unknown) => {
    if (oid === INT8_OID) return parseInt8
    if (oid === JSON_OID) return rawText
    return builtin(oid, 'text')
  }) as typeof pg.types.getTypeParser,
}

/** Connections may wait this long for a free slot; longer means the server is gone or saturated. */
const CONNECT_TIMEOUT_MS = 5_000
/** Idle connections are closed after this, so a quiet daemon holds few server processes. */
const IDLE_TIMEOUT_MS = 30_000

export interface PoolOptions {
  url: string
  /** Most connections open at once (`store.postgres.pool`). */
  pool: number
  /** `application_name` the server shows in `pg_stat_activity`. */
  applicationName?: string
  /**
   * An idle connection failed (the server restarted or went away). The pool drops it by itself;
   * without a listener the 'error' event would end the process.
   */
  onIdleError?: (err: Error) => void
}

/** A pool with omnigate's type parsers; nothing connects until the first query. */
export function openPool(o: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: o.url,
    max: o.pool,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    application_name: o.applicationName ?? 'omnigate',
    types: TYPES,
  })
  pool.on('error', (err) => o.onIdleError?.(err))
  // A connection checked out but between two queries (inside a transaction, say) when the server
  // drops it emits 'error' on itself, which the pool only listens to while it is idle: without a
  // listener of its own that ends the process (seen in the PostgreSQL-restart test). Its next
  // query fails anyway, so the caller learns of it as a store fault (503); here it is only kept
  // from being an uncaught exception.
  pool.on('connect', (client) => {
    client.on('error', (err) => o.onIdleError?.(err))
  })
  return pool
}
