/**
 * Cluster locks on PostgreSQL (DESIGN §10 "Singletons by advisory lock"): session-level advisory
 * locks held on ONE dedicated connection, not the pool, whose `application_name` is the daemon id.
 * The server frees a session's locks when its connection ends, so a daemon killed with -9 lets go
 * of everything it held the moment its socket closes, and another daemon's next try takes over.
 *
 * Keys are the two-int form `pg_try_advisory_lock(namespace, hash(name))`: the namespace keeps
 * omnigate's locks apart from the migration lock and anyone else's, and lets `pg_locks` be read
 * back by namespace to say who holds what. Advisory locks are per database, so two gateways on
 * two databases of one server never meet.
 *
 * A lost connection (an error, an end, a query that hangs past its timeout) means every lock is
 * gone: `onLost` fires at once so the caller stops the work those locks guarded, and the next
 * `acquire` connects again.
 */
import pg from 'pg'

/** 'Omni' in ASCII: omnigate's advisory-lock namespace (the first int of the two-int key). */
const LOCK_NAMESPACE = 0x4f6d6e69
/**
 * A lock query that takes longer means the connection (or the server) is gone: the locks are
 * treated as lost. Long enough for a loaded server, short enough that work stops within seconds.
 */
const QUERY_TIMEOUT_MS = 5_000
/** The first connection attempt's bound; the caller retries on its own beat. */
const CONNECT_TIMEOUT_MS = 5_000
/**
 * The server's side: a daemon whose machine vanished (no FIN, no RST) is seen dead after about
 * 10 + 5 × 3 s of silence and its locks freed, instead of after the server's default of hours.
 * Session settings any user may set; ignored on a Unix socket, where a dead peer is seen at once.
 */
const SERVER_KEEPALIVE = `SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5;
  SET tcp_keepalives_count = 3`
/** close() waits this long for a polite goodbye before it lets the socket go. */
const CLOSE_WAIT_MS = 1_000

/**
 * The int4 key of a lock name: FNV-1a, kept positive so `pg_locks.objid` reads back the same.
 * @internal exported for its tests
 */
export function lockKey(name: string): number {
  let h = 0x811c9dc5
  for (const b of Buffer.from(name, 'utf8')) {
    h ^= b
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h & 0x7fffffff
}

const TRY_LOCKS = `SELECT k, pg_try_advisory_lock($1::int4, k) AS ok FROM unnest($2::int4[]) AS k`
const UNLOCK = `SELECT pg_advisory_unlock($1::int4, $2::int4) AS ok`
const OWNERS = `SELECT l.objid::int8 AS k, a.application_name AS owner
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int4 AND l.objsubid = 2
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.objid::int8 = ANY($2::int8[])`

export interface AdvisoryLocksOptions {
  url: string
  /** The daemon id: `application_name` of the lock connection, read back as the owner. */
  daemonId: string
  /** Every lock was lost with the connection (called once per loss). */
  onLost: (reason: string) => void
}

/** The advisory locks of one daemon, on one dedicated connection. */
export class PgAdvisoryLocks {
  readonly shared = true
  private client: pg.Client | null = null
  /** Lock names held on the current connection. */
  private readonly held = new Set<string>()

  constructor(private readonly o: AdvisoryLocksOptions) {}

  /**
   * Tries to take each of `names` not held yet (connecting first if needed) and answers the names
   * this daemon now holds among them. Run with no names it still proves the connection is alive.
   * Throws when the connection cannot be made or fails (the loss is reported through `onLost`).
   */
  async acquire(names: readonly string[]): Promise<Set<string>> {
    const c = await this.connection()
    const want = names.filter((n) => !this.held.has(n))
    // pg_try_advisory_lock stacks when asked twice on one session: only ask for the missing ones.
    const byKey = new Map(want.map((n) => [lockKey(n), n]))
    const rows = await this.query<{ k: number; ok: boolean }>(c, TRY_LOCKS, [
      LOCK_NAMESPACE,
      [...byKey.keys()],
    ])
    for (const r of rows) {
      const name = byKey.get(r.k)
      if (r.ok && name !== undefined) this.held.add(name)
    }
    return new Set(names.filter((n) => this.held.has(n)))
  }

  /** Lets go of `name` (a channel left the config); nothing when it is not held. */
  async release(name: string): Promise<void> {
    const c = this.client
    if (!c || !this.held.delete(name)) return
    await this.query(c, UNLOCK, [LOCK_NAMESPACE, lockKey(name)])
  }

  /** The daemon id holding each of `names` that is held by anyone, as the server sees it. */
  async owners(names: readonly string[]): Promise<Map<string, string>> {
    // Not connecting for this: a request asking who owns what must not wait for a connect.
    const c = this.client
    if (!c) throw new Error('the lock connection is down')
    const byKey = new Map(names.map((n) => [lockKey(n), n]))
    const rows = await this.query<{ k: number; owner: string }>(c, OWNERS, [
      LOCK_NAMESPACE,
      [...byKey.keys()],
    ])
    const out = new Map<string, string>()
    for (const r of rows) {
      const name = byKey.get(Number(r.k))
      if (name !== undefined) out.set(name, r.owner)
    }
    return out
  }

  /** Ends the connection: the server frees every lock at once. */
  async close(): Promise<void> {
    const c = this.client
    this.client = null
    this.held.clear()
    if (!c) return
    // end() on a connection the server already dropped may never settle: bounded.
    await Promise.race([
      c.end().catch(() => undefined),
      new Promise((r) => setTimeout(r, CLOSE_WAIT_MS).unref()),
    ])
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client
    const c = new pg.Client({
      connectionString: this.o.url,
      application_name: this.o.daemonId,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      // A peer that vanished without a FIN (a cut cable) is found by the query timeout; keepalive
      // lets the kernel notice it too while the connection is idle between tries.
      keepAlive: true,
    })
    // Without a listener an 'error' (the server killed this backend) would end the process.
    c.on('error', (err) => this.lost(c, err.message))
    c.on('end', () => this.lost(c, 'connection ended'))
    try {
      await c.connect()
      await c.query(SERVER_KEEPALIVE)
    } catch (err) {
      void c.end().catch(() => undefined)
      throw err
    }
    this.client = c
    return c
  }

  private async query<R>(c: pg.Client, text: string, values: unknown[]): Promise<R[]> {
    try {
      return (await c.query<R & pg.QueryResultRow>(text, values)).rows
    } catch (err) {
      // A failed lock query leaves us unsure what is held: drop the connection, the server frees all.
      this.lost(c, (err as Error).message)
      void c.end().catch(() => undefined) // not awaited: on a dead socket it may never settle
      throw err
    }
  }

  private lost(c: pg.Client, reason: string): void {
    if (this.client !== c) return // an old connection's late event
    this.client = null
    const had = this.held.size > 0
    this.held.clear()
    if (had) this.o.onLost(reason)
  }
}
