/**
 * The store's front door (DESIGN §2, §10): `openStore()` opens the database the config names,
 * applies the embedded migrations and resolves to the Store — the gateway never knows which
 * dialect runs. `migrateStore()` and `storeVersion()` serve `omnigate migrate`. A database newer
 * than this code is refused with SchemaTooNewError.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { migrate, currentVersion } from './sqlite/migrate.js'
import { MIGRATIONS, SCHEMA_VERSION } from './sqlite/migrations/index.js'
import { BUSY_TIMEOUT_MS, openDatabase } from './sqlite/open-database.js'
import type { SqliteDatabase } from './sqlite/sqlite-database.js'
import { createSqliteStore } from './sqlite/sqlite-store.js'
import { probeWrites, type WriteProbeResult } from './sqlite/write-probe.js'
import type { Store } from './types.js'
// The PostgreSQL store (and `pg`, ≈ 12 MB of a daemon's memory) loads only when configured.
const postgres = () => import('./postgres/open-postgres.js')

export * from './types.js'
export { storeFault, type StoreFault } from './store-fault.js'
export type { WriteProbeResult } from './sqlite/write-probe.js'

/** What the daemon needs beyond the Store contract: telling when writes work again after a fault. */
export interface StoreUpkeep {
  /**
   * A small fsync'd write that needs free pages, then `wal_checkpoint(TRUNCATE)` (the WAL's space
   * goes back to the file system). Throws the store's error while it cannot write (disk full …).
   */
  probeWrites(now: string): Promise<WriteProbeResult>
}

export interface OpenStoreOptions {
  /** The SQLite file (`:memory:` for a throwaway store). */
  file: string
  /** The data folder: attachment blobs go to `<dataDir>/blobs/`. */
  dataDir: string
  /**
   * `store.postgres` (DESIGN §10): the store is PostgreSQL and `file` is not used; attachment
   * blobs go into its `blobs` table. Rejects with PostgresConnectError when it cannot connect.
   */
  postgres?: { url: string; pool: number } | null
  /** The caller's child logger (`component: 'store'`): migrations and failed commits. */
  log?: Logger
  /** Clock for bookkeeping (migration times); every Store method takes its own `now`. */
  now?: () => Date
  /**
   * Test seam: runs on the connection once it is open and migrated (a test caps `max_page_count`
   * on it to play a full disk, and raises it again to play freed space).
   */
  onOpen?: (db: SqliteDatabase) => void
}

/**
 * Opens (creating if needed) and migrates the store. Rejects with SchemaTooNewError when the
 * database was written by a newer omnigate: the daemon must refuse to start.
 */
export function openStore(opts: OpenStoreOptions): Promise<Store & StoreUpkeep> {
  const { log } = opts
  if (opts.postgres) {
    const o = opts.postgres
    return postgres().then(({ openPostgresStore }) =>
      openPostgresStore({ ...o, ...(log ? { log } : {}), ...(opts.now ? { now: opts.now } : {}) }),
    )
  }
  // A throw while opening (a newer schema, a locked file) becomes the rejection.
  return new Promise((resolve) => resolve(openSqlite(opts)))
}

function openSqlite(opts: OpenStoreOptions): Store & StoreUpkeep {
  const { log } = opts
  const blobsDir = join(opts.dataDir, 'blobs')
  mkdirSync(blobsDir, { recursive: true })
  const db = openDatabase(opts.file)
  try {
    const now = (opts.now ?? (() => new Date()))().toISOString()
    const { from, to } = migrate(db, MIGRATIONS, now, (m) =>
      log?.info({ version: m.version, name: m.name }, 'migration applied'),
    )
    if (from !== to) log?.info({ from, to }, 'store migrated')
    // Migrations may wait for a lock; from now on the event loop must not (open-database.ts).
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    opts.onOpen?.(db)
  } catch (error) {
    db.close()
    throw error
  }
  const store = createSqliteStore(db, { blobsDir, ...(log ? { log } : {}) })
  return Object.assign(store, {
    probeWrites: (now: string) => Promise.resolve().then(() => probeWrites(db, now)),
  })
}

/** Brings the file to this code's schema (`omnigate migrate`); returns versions before/after. */
export function migrateStore(
  file: string,
  now: () => Date = () => new Date(),
): { from: number; to: number } {
  const db = openDatabase(file)
  try {
    return migrate(db, MIGRATIONS, now().toISOString())
  } finally {
    db.close()
  }
}

/** `omnigate migrate` with `store.postgres`: connects, migrates under the advisory lock. */
export async function migratePostgresStore(
  o: { url: string; pool: number },
  now: () => Date = () => new Date(),
): Promise<{ from: number; to: number }> {
  const { connectPostgres } = await import('./postgres/connect.js')
  const { migratePostgres } = await import('./postgres/migrate.js')
  const pool = await connectPostgres({ url: o.url, pool: 1 })
  try {
    return await migratePostgres(pool, now().toISOString())
  } finally {
    await pool.end()
  }
}

/**
 * The file's schema version (0 when it does not exist or is empty) and the one this code knows.
 * @internal exported for its tests
 */
export function storeVersion(file: string): { version: number; latest: number } {
  if (!existsSync(file)) return { version: 0, latest: SCHEMA_VERSION }
  const db = openDatabase(file, { readonly: true })
  try {
    return { version: currentVersion(db), latest: SCHEMA_VERSION }
  } finally {
    db.close()
  }
}
