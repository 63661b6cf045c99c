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
import type pg from 'pg'
import { connectionLost } from './pg-faults.js'

/** Runs one statement; rows, and how many rows an INSERT/UPDATE/DELETE touched. */
export interface Sql {
  rows<R>(text: string, params?: readonly unknown[]): Promise<R[]>
  one<R>(text: string, params?: readonly unknown[]): Promise<R | undefined>
  /** Rows affected (INSERT/UPDATE/DELETE). */
  run(text: string, params?: readonly unknown[]): Promise<number>
}

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

/** Statements on `q`: the pool (each on any free connection) or one checked-out connection. */
function sqlVia(q: Pick<pg.Pool | pg.PoolClient, 'query'>): Sql {
  const exec = async (text: string, params: readonly unknown[] = []): Promise<pg.QueryResult> => {
    try {
      return await q.query(queryConfig(text, [...params]))
    } catch (error) {
      throw connectionLost(error)
    }
  }
  return {
    rows: async (text, params) => (await exec(text, params)).rows as never,
    one: async (text, params) => (await exec(text, params)).rows[0] as never,
    run: async (text, params) => (await exec(text, params)).rowCount ?? 0,
  }
}

/** Single statements on the pool. */
export function sqlOnPool(pool: pg.Pool): Sql {
  return sqlVia(pool)
}

/**
 * `fn` in one transaction on one connection: BEGIN, its statements, COMMIT — or ROLLBACK when it
 * throws (the error is rethrown). A connection that failed under it is not given back to the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (s: Sql) => Promise<T>): Promise<T> {
  let client: pg.PoolClient
  try {
    client = await pool.connect()
  } catch (error) {
    throw connectionLost(error)
  }
  let broken: Error | undefined
  try {
    await client.query('BEGIN')
    const out = await fn(sqlVia(client))
    await client.query('COMMIT')
    return out
  } catch (error) {
    try {
      await client.query('ROLLBACK')
    } catch (rollbackError) {
      // The connection is gone (or unusable): the pool must not hand it out again.
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))
    }
    throw connectionLost(error)
  } finally {
    client.release(broken)
  }
}
