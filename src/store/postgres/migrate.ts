/**
 * The PostgreSQL migration runner (DESIGN §10). Several daemons started together would all find
 * the schema old and migrate it at once; a session advisory lock makes them take turns, so the
 * first migrates and the others find it done. Each step runs in its own transaction with its
 * record in `schema_migrations` (PostgreSQL's DDL is transactional), so a crash mid-way leaves a
 * database at a known version. A database newer than this code is refused, as on SQLite.
 */
import type pg from 'pg'
import { SchemaTooNewError } from '../sqlite/migrate.js'
import { PG_MIGRATIONS } from './migrations/index.js'

/** @internal exported for its tests */
export { SchemaTooNewError }

/** One step: SQL text, run as one multi-statement query inside the step's transaction. */
export interface PgMigration {
  version: number
  name: string
  up: string
}

/**
 * The advisory lock key of migrations: "omni" in ASCII in the high half (every advisory lock of
 * omnigate's), 1 in the low. Advisory locks are per database: databases on one server do not
 * wait on each other.
 */
const MIGRATION_LOCK = 0x6f6d6e69_00000001n

const CREATE_RECORD_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)`

/** The highest applied version, 0 for an empty database. */
async function currentPgVersion(c: pg.ClientBase): Promise<number> {
  const { rows } = await c.query<{ t: string | null }>(
    `SELECT to_regclass('schema_migrations')::text AS t`,
  )
  if (rows[0]?.t == null) return 0
  const max = await c.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')
  return max.rows[0]?.v ?? 0
}

/**
 * Brings the database to this code's schema, under the migration lock; returns the versions
 * before and after. Throws SchemaTooNewError (before changing anything) when it is newer.
 */
export async function migratePostgres(
  pool: pg.Pool,
  now: string,
  onApplied?: (m: PgMigration) => void,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
): Promise<{ from: number; to: number }> {
  assertOrdered(migrations)
  const known = migrations[migrations.length - 1]?.version ?? 0
  const c = await pool.connect()
  let broken = false
  try {
    // Waits while another daemon migrates; released below or when the connection ends.
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()])
    try {
      const from = await currentPgVersion(c)
      if (from > known) throw new SchemaTooNewError(from, known)
      if (from < known) await c.query(CREATE_RECORD_TABLE)
      for (const m of migrations) {
        if (m.version <= from) continue
        await c.query('BEGIN')
        try {
          await c.query(m.up)
          await c.query(
            'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
            [m.version, m.name, now],
          )
          await c.query('COMMIT')
        } catch (error) {
          await c.query('ROLLBACK').catch(() => undefined)
          throw error
        }
        onApplied?.(m)
      }
      return { from, to: Math.max(from, known) }
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]).catch(() => {
        broken = true // the connection is gone: so is its lock
      })
    }
  } catch (error) {
    broken = true
    throw error
  } finally {
    // A connection that failed mid-migration is not handed back to the pool.
    c.release(broken)
  }
}

function assertOrdered(migrations: readonly PgMigration[]): void {
  let last = 0
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= last) {
      throw new Error(`migration ${m.version} (${m.name}) is out of order: versions must increase`)
    }
    last = m.version
  }
}
