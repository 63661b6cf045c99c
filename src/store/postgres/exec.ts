/**
 * Raw SQL through kysely on PostgreSQL: the dialect's statements are written as text with `$n`
 * parameters (like the SQLite dialect's prepared statements) and run on whatever kysely gives a
 * transaction or the pool, so a port operation is one round trip with no query building.
 */
import { CompiledQuery, type Kysely } from 'kysely'
import { connectionLost } from './pg-faults.js'
import type { PgSchema } from './schema.js'

/** Runs one statement; rows, and how many rows an INSERT/UPDATE/DELETE touched. */
export interface Sql {
  rows<R>(text: string, params?: readonly unknown[]): Promise<R[]>
  one<R>(text: string, params?: readonly unknown[]): Promise<R | undefined>
  /** Rows affected (INSERT/UPDATE/DELETE). */
  run(text: string, params?: readonly unknown[]): Promise<number>
}

/** `db` is the pool's Kysely or a Transaction of it. */
export function sqlOn(db: Kysely<PgSchema>): Sql {
  const exec = async <R>(text: string, params: readonly unknown[] = []) => {
    try {
      return await db.executeQuery<R>(CompiledQuery.raw(text, [...params]))
    } catch (error) {
      throw connectionLost(error)
    }
  }
  return {
    rows: async (text, params) => (await exec(text, params)).rows as never,
    one: async (text, params) => (await exec(text, params)).rows[0] as never,
    run: async (text, params) => Number((await exec(text, params)).numAffectedRows ?? 0n),
  }
}
