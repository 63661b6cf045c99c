/**
 * Opening the PostgreSQL store at start: connect (a wrong or unreachable `store.postgres.url`
 * fails here, named and with its password masked), migrate under the advisory lock (several
 * daemons starting together migrate once), then the Store on the same pool.
 */
import type { Logger } from 'pino'
import { connectPostgres } from './connect.js'
import { migratePostgres } from './migrate.js'
import { createPostgresStore, type PostgresStore } from './postgres-store.js'

export interface OpenPostgresOptions {
  url: string
  pool: number
  log?: Logger
  now?: () => Date
}

export async function openPostgresStore(o: OpenPostgresOptions): Promise<PostgresStore> {
  const { log } = o
  const pool = await connectPostgres({
    url: o.url,
    pool: o.pool,
    // The pool replaces a dropped idle connection by itself; the next query says if it cannot.
    onIdleError: (err) =>
      log?.warn({ err: { message: err.message } }, 'idle PostgreSQL connection lost'),
  })
  try {
    const now = (o.now ?? (() => new Date()))().toISOString()
    const { from, to } = await migratePostgres(pool, now, (m) =>
      log?.info({ version: m.version, name: m.name }, 'migration applied'),
    )
    if (from !== to) log?.info({ from, to }, 'store migrated')
  } catch (error) {
    await pool.end().catch(() => undefined)
    throw error
  }
  return createPostgresStore(pool, o.url)
}
