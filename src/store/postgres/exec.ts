/**
 * Raw SQL on PostgreSQL: the dialect's statements are written as text with `$n` parameters (like
 * the SQLite dialect's prepared statements) and run on `pg` directly — a pooled connection for one
 * statement, a checked-out one for a transaction — so a port operation is one round trip with no
 * query building. kysely stays for what it builds (search); these statements skip its layers.
 *
 * Statements run often are **named** (the extended protocol's prepared statements, per
 * connection): PostgreSQL parses and plans each once per connection instead of on every call,
 * which a profile of P7's accept put at a large part of the server's CPU per send. Names are given
 * to at most `MAX_NAMED` distinct texts (a text with a variable `IN (…)` list is one per length),
 * so a connection never holds an unbounded number of prepared statements.
 */
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import type pg from 'pg'
import { connectionLost } from './pg-faults.js'

/** pg's own parameter serialiser and literal quoting: an inlined value reads as its parameter. */
const pgUtils = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue(v: unknown): string | Buffer | null
  escapeLiteral(s: string): string
}

/** Runs one statement; rows, and how many rows an INSERT/UPDATE/DELETE touched. */
export interface Sql {
  rows<R>(text: string, params?: readonly unknown[]): Promise<R[]>
  one<R>(text: string, params?: readonly unknown[]): Promise<R | undefined>
  /** Rows affected (INSERT/UPDATE/DELETE). */
  run(text: string, params?: readonly unknown[]): Promise<number>
  /**
   * A write whose result nobody reads, and that cannot fail on a conflict a caller handles: in a
   * transaction it goes out with the transaction's next statement (or its COMMIT), in the same
   * round trip; outside one, at once.
   */
  later(text: string, params?: readonly unknown[]): Promise<void>
  /**
   * Reads whose results are wanted together, in one round trip: sent as one simple-protocol
   * query of `EXECUTE`s of statements the connection prepared (`Preparing`; values as literals,
   * as pg would send them), run in order. The rows of each, in order.
   */
  many(statements: readonly Statement[]): Promise<unknown[][]>
  /**
   * `many()` as a transaction's last step: in a transaction its COMMIT goes in the same round
   * trip, and the transaction takes no further statement (the commit after the callback is then
   * nothing more to send). Outside one, just `many()`.
   */
  manyAndCommit(statements: readonly Statement[]): Promise<unknown[][]>
}

/** A statement text and its `$n` parameters. */
export type Statement = readonly [text: string, params: readonly unknown[]]

/** Distinct statement texts given a name (each prepared once per connection that runs it). */
const MAX_NAMED = 512
/** A text is named from its second use: a one-off (a rare IN-list length) stays unnamed. */
const NAME_AFTER_USES = 2

/** Statement texts → their name once named, or how often they were seen so far. */
const seen = new Map<string, string | number>()
let named = 0

/** The query to send for `text`: named once it recurs, while the named set has room. */
function queryConfig(text: string, values: unknown[]): pg.QueryConfig {
  const s = seen.get(text)
  if (typeof s === 'string') return { name: s, text, values }
  const uses = (s ?? 0) + 1
  if (uses >= NAME_AFTER_USES && named < MAX_NAMED) {
    const name = `og_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`
    seen.set(text, name)
    named++
    return { name, text, values }
  }
  // Unnamed texts are counted only while names can still be given (bounded either way).
  if (named < MAX_NAMED && seen.size < MAX_NAMED * 4) seen.set(text, uses)
  return { text, values }
}

/** Single statements on the pool, each on any free connection; `many` on one checked out. */
export function sqlOnPool(pool: pg.Pool): Sql {
  const exec = async (text: string, params: readonly unknown[] = []): Promise<pg.QueryResult> => {
    try {
      return await pool.query(queryConfig(text, [...params]))
    } catch (error) {
      throw connectionLost(error)
    }
  }
  return sqlOf(exec, async (statements) => {
    if (statements.length === 0) return []
    let client: pg.PoolClient
    try {
      client = await pool.connect()
    } catch (error) {
      throw connectionLost(error)
    }
    // Prepared like a transaction's batches, so the server plans each text once per connection
    // (the recipient's facts, read before every accept, are such a batch).
    const batch = new Preparing(client)
    try {
      const texts = statements.map(([t, p]) => batch.statement(t, p))
      return lastRows(await batch.run(texts), statements.length)
    } finally {
      client.release(batch.dropWith())
    }
  })
}

/** pg answers a simple query of one statement with its result, of several with an array. */
function resultList(res: pg.QueryResult | pg.QueryResult[]): pg.QueryResult[] {
  return Array.isArray(res) ? res : [res]
}

/** An `Sql` of `exec` for single statements and `many` for several in one round trip. */
function sqlOf(
  exec: (text: string, params?: readonly unknown[]) => Promise<pg.QueryResult>,
  many: Sql['many'],
): Sql {
  return {
    many,
    manyAndCommit: many,
    rows: async (text, params) => (await exec(text, params)).rows as never,
    one: async (text, params) => (await exec(text, params)).rows[0] as never,
    run: async (text, params) => (await exec(text, params)).rowCount ?? 0,
    later: async (text, params) => {
      await exec(text, params)
    },
  }
}

/** The rows of the last `count` statements of a multi-statement query (what went before, first). */
function lastRows(results: pg.QueryResult[], count: number): unknown[][] {
  return results.slice(-count).map((r): unknown[] => r.rows as unknown[])
}

/**
 * `text` with its `$n` replaced by literals, as pg would send each value (its own serialiser,
 * then quoted): an untyped literal takes its type from the context exactly as an untyped
 * parameter does. Our statement texts carry no `$` of their own.
 */
function inline(text: string, params: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(params[Number(n) - 1]))
}

function literal(v: unknown): string {
  const p = pgUtils.prepareValue(v)
  if (p === null) return 'NULL'
  if (Buffer.isBuffer(p)) return `'\\x${p.toString('hex')}'`
  return pgUtils.escapeLiteral(p)
}

/**
 * Names of statements a transaction's batches run as `EXECUTE` of a statement prepared with SQL's
 * own `PREPARE` on the connection (a simple query cannot carry the extended protocol's named
 * statements): the server parses and plans each text once per connection, not in every batch.
 * Only what PREPARE takes (SELECT, INSERT, UPDATE, DELETE, WITH); bounded like `seen`.
 */
const sqlNames = new Map<string, string | null>()
const PREPARABLE = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i

function sqlName(text: string): string | null {
  const known = sqlNames.get(text)
  if (known !== undefined) return known
  const name =
    PREPARABLE.test(text) && sqlNames.size < MAX_NAMED
      ? `ogp_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`
      : null
  if (sqlNames.size < MAX_NAMED * 4) sqlNames.set(text, name)
  return name
}

export interface TransactionOptions {
  /**
   * The transaction's prepared statements run on their generic plans (`plan_cache_mode`), never
   * planned again per call: for transactions of primary-key lookups and inserts, where a custom
   * plan cannot be better (the accept path; a profile put re-planning at a fifth of the
   * server's CPU per accept).
   */
  genericPlans?: boolean
}

const GENERIC_PLANS = 'SET LOCAL plan_cache_mode = force_generic_plan'

/** Statements prepared by `PREPARE` on each connection (they live as long as it does). */
const preparedOn = new WeakMap<pg.PoolClient, Set<string>>()

/**
 * Batches on one connection: each statement is `EXECUTE name(literals)` of a statement the
 * connection prepared, and a `PREPARE` goes in front of the first batch that needs it. A batch
 * that carried `PREPARE`s and failed leaves unknown which of them ran, so the connection must not
 * be used again (`dropWith`; rare: a connection prepares its few texts in its first batches).
 */
class Preparing {
  private prepares: string[] = []
  private names = new Set<string>()
  private readonly prepared: Set<string>
  /** A batch that carried `PREPARE`s failed. */
  broken = false

  constructor(private readonly client: pg.PoolClient) {
    let prepared = preparedOn.get(client)
    if (!prepared) preparedOn.set(client, (prepared = new Set()))
    this.prepared = prepared
  }

  /** `text` with `params` for the next batch: EXECUTE of its prepared statement, or inlined. */
  statement(text: string, params: readonly unknown[]): string {
    const name = sqlName(text)
    if (name === null) return inline(text, params)
    if (!this.prepared.has(name) && !this.names.has(name)) {
      this.prepares.push(`PREPARE ${name} AS ${text}`)
      this.names.add(name)
    }
    return params.length === 0
      ? `EXECUTE ${name}`
      : `EXECUTE ${name}(${params.map(literal).join(', ')})`
  }

  /** `texts` (from `statement`) with the `PREPARE`s they need, as one simple query: all results. */
  async run(texts: readonly string[]): Promise<pg.QueryResult[]> {
    const batch = [...this.prepares, ...texts].join(';\n')
    const names = this.names
    this.prepares = []
    this.names = new Set()
    try {
      const results = resultList(await this.client.query(batch))
      for (const n of names) this.prepared.add(n)
      return results
    } catch (error) {
      if (names.size > 0) this.broken = true
      throw connectionLost(error)
    }
  }

  /** What to release the connection with: an error (it is dropped) once a batch `broken` it. */
  dropWith(): Error | undefined {
    return this.broken
      ? new Error('a batch with PREPARE failed: which of them ran is unknown')
      : undefined
  }
}

/**
 * A transaction's statements on its connection, with as few round trips as the results allow.
 * `BEGIN` and every `later()` write wait in `pending`; the next statement whose result is read
 * takes them along — all of them and itself sent as one simple-protocol query of several
 * statements (each with its own snapshot, run in order; the first error aborts the rest and the
 * transaction) — and `commit()` sends what is left with `COMMIT`. A statement with nothing
 * pending goes alone, named. In an accept that is 5 round trips instead of 12.
 *
 * In a batch a statement is `EXECUTE` of a statement the connection prepared (`Preparing`): a
 * group of accepts is some 200 statements the server would otherwise parse and plan each time.
 */
class TxSql {
  private pending: string[]
  /** Something was sent: the transaction is open on the server. */
  private sent = false
  /** COMMIT went out with a last batch (`manyAndCommit`). */
  private committed = false
  /** What opens the transaction (BEGIN, settings), sent with the first statement. */
  private readonly opening: number
  /** Its batches, with the `PREPARE`s the statements in `pending` need. */
  readonly batch: Preparing
  readonly sql: Sql

  constructor(
    private readonly client: pg.PoolClient,
    o: TransactionOptions = {},
  ) {
    this.pending = o.genericPlans ? ['BEGIN', GENERIC_PLANS] : ['BEGIN']
    this.opening = this.pending.length
    this.batch = new Preparing(client)
    const exec = async (text: string, params: readonly unknown[] = []): Promise<pg.QueryResult> => {
      this.open()
      if (this.pending.length > 0)
        return (await this.send([this.batch.statement(text, params)])).at(-1) as pg.QueryResult
      try {
        return await client.query(queryConfig(text, [...params]))
      } catch (error) {
        throw connectionLost(error)
      }
    }
    const many: Sql['many'] = async (statements) => {
      if (statements.length === 0) return []
      const texts = statements.map(([t, p]) => this.batch.statement(t, p))
      return lastRows(await this.send(texts), statements.length)
    }
    const manyAndCommit: Sql['manyAndCommit'] = async (statements) => {
      const texts = statements.map(([t, p]) => this.batch.statement(t, p))
      const results = await this.send([...texts, 'COMMIT'])
      this.committed = true
      return lastRows(results.slice(0, -1), statements.length)
    }
    this.sql = {
      ...sqlOf(exec, many),
      manyAndCommit,
      // Async so a call after the last batch rejects rather than throws; the push is at once.
      // eslint-disable-next-line @typescript-eslint/require-await
      later: async (text, params = []) => {
        this.open()
        this.pending.push(this.batch.statement(text, params))
      },
    }
  }

  /** Throws once the transaction was committed by its last batch: nothing may follow it. */
  private open(): void {
    if (this.committed) throw new Error('the transaction was committed by its last batch')
  }

  /** Everything pending, then `texts`, as one simple query: all their results. */
  private send(texts: readonly string[]): Promise<pg.QueryResult[]> {
    this.open()
    const batch = [...this.pending, ...texts]
    this.pending = []
    this.sent = true
    return this.batch.run(batch)
  }

  async commit(): Promise<void> {
    // Committed with its last batch (`manyAndCommit`).
    if (this.committed) return
    // Nothing was asked of the server: no transaction to open or commit.
    if (this.unsent && this.pending.length === this.opening) return
    await this.send(['COMMIT'])
  }

  /** Nothing was sent yet (BEGIN still pending): there is no transaction to roll back. */
  get unsent(): boolean {
    return !this.sent
  }
}

/**
 * `fn` in one transaction on one connection: BEGIN, its statements, COMMIT — or ROLLBACK when it
 * throws (the error is rethrown). A connection that failed under it is not given back to the pool.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (s: Sql) => Promise<T>,
  o: TransactionOptions = {},
): Promise<T> {
  let client: pg.PoolClient
  try {
    client = await pool.connect()
  } catch (error) {
    throw connectionLost(error)
  }
  let broken: Error | undefined
  const tx = new TxSql(client, o)
  try {
    const out = await fn(tx.sql)
    await tx.commit()
    return out
  } catch (error) {
    if (!tx.unsent) {
      try {
        await client.query('ROLLBACK')
      } catch (rollbackError) {
        // The connection is gone (or unusable): the pool must not hand it out again.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))
      }
    }
    throw connectionLost(error)
  } finally {
    // Also after a commit: a failed batch the transaction got over (a savepoint rolled back)
    // may have left PREPAREs behind that this connection does not know of.
    client.release(broken ?? tx.batch.dropWith())
  }
}
