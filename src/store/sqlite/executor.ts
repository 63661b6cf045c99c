/**
 * kysely as a query builder with a synchronous executor: queries are compiled with kysely's SQLite
 * compiler and run through better-sqlite3 prepared statements, cached by SQL text. The Store
 * interface stays synchronous (better-sqlite3 is; kysely's SqliteDialect is not).
 */
import {
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
} from 'kysely'
import type { Schema } from './schema.js'
import type { SqliteDatabase, SqliteRunResult, SqliteStatement } from './sqlite-database.js'

/**
 * Compile-only kysely: the dummy driver never connects, so a stray `.execute()` fails loudly
 * instead of running outside our transactions.
 */
export const qb = new Kysely<Schema>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
})

/** Statements kept prepared; `IN (…)` lists make the SQL text vary, so the cache is bounded. */
const STATEMENT_CACHE_SIZE = 512

type Query = { compile(): CompiledQuery } | CompiledQuery

/** Runs compiled kysely queries and raw SQL on one connection, statements cached by text. */
export class Executor {
  private readonly cache = new Map<string, SqliteStatement>()

  constructor(readonly db: SqliteDatabase) {}

  /** A cached prepared statement for this SQL text (least recently used is evicted). */
  stmt(sqlText: string): SqliteStatement {
    let s = this.cache.get(sqlText)
    if (s) {
      this.cache.delete(sqlText)
    } else {
      s = this.db.prepare(sqlText)
      if (this.cache.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.cache.keys().next().value
        if (oldest !== undefined) this.cache.delete(oldest)
      }
    }
    this.cache.set(sqlText, s)
    return s
  }

  all<R>(q: Query): R[] {
    const c = compiled(q)
    return this.stmt(c.sql).all(...bind(c.parameters)) as R[]
  }

  get<R>(q: Query): R | undefined {
    const c = compiled(q)
    return this.stmt(c.sql).get(...bind(c.parameters)) as R | undefined
  }

  run(q: Query): SqliteRunResult {
    const c = compiled(q)
    return this.stmt(c.sql).run(...bind(c.parameters))
  }

  /** Runs `fn` in a transaction (a savepoint when already inside one); a throw rolls it back. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)()
  }
}

function compiled(q: Query): CompiledQuery {
  return 'compile' in q ? q.compile() : q
}

/**
 * better-sqlite3 binds numbers, strings, bigints, buffers and null; booleans become 0/1.
 * @internal exported for its tests
 */
export function bind(params: readonly unknown[]): unknown[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p === undefined ? null : p))
}
