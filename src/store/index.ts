/**
 * The store's front door (DESIGN §2, §10): `openStore()` opens the SQLite file in the data
 * folder, applies the embedded migrations and returns the Store; `migrateStore()` and
 * `storeVersion()` serve `omnigate migrate`. A database newer than this code is refused with
 * SchemaTooNewError.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { migrate, currentVersion } from './sqlite/migrate.js'
import { MIGRATIONS, SCHEMA_VERSION } from './sqlite/migrations/index.js'
import { openDatabase } from './sqlite/open-database.js'
import { createSqliteStore } from './sqlite/sqlite-store.js'
import type { Store } from './types.js'

export { SchemaTooNewError } from './sqlite/migrate.js'
export { SCHEMA_VERSION } from './sqlite/migrations/index.js'
export * from './types.js'

export interface OpenStoreOptions {
  /** The SQLite file (`:memory:` for a throwaway store). */
  file: string
  /** The data folder: attachment blobs go to `<dataDir>/blobs/`. */
  dataDir: string
  /** The caller's child logger (`component: 'store'`): migrations and failed commits. */
  log?: Logger
  /** Clock for bookkeeping (migration times); every Store method takes its own `now`. */
  now?: () => Date
}

/**
 * Opens (creating if needed) and migrates the store. Throws SchemaTooNewError when the database
 * was written by a newer omnigate: the daemon must refuse to start.
 */
export function openStore(opts: OpenStoreOptions): Store {
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
  } catch (error) {
    db.close()
    throw error
  }
  return createSqliteStore(db, { blobsDir, ...(log ? { log } : {}) })
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

/** The file's schema version (0 when it does not exist or is empty) and the one this code knows. */
export function storeVersion(file: string): { version: number; latest: number } {
  if (!existsSync(file)) return { version: 0, latest: SCHEMA_VERSION }
  const db = openDatabase(file, { readonly: true })
  try {
    return { version: currentVersion(db), latest: SCHEMA_VERSION }
  } finally {
    db.close()
  }
}
