/**
 * Numbered, embedded schema migrations, recorded in `schema_migrations`. A database whose version
 * is newer than the code refuses to open (the daemon must not write a schema it does not know).
 */
import type { SqliteDatabase } from './sqlite-database.js'

/** One step: SQL text or a function run inside the step's transaction. */
export interface Migration {
  version: number
  name: string
  up: string | ((db: SqliteDatabase) => void)
}

/**
 * Thrown when the database was migrated by a newer omnigate (either dialect).
 */
export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `database schema version ${found} is newer than this omnigate (${known}); upgrade omnigate`,
    )
    this.name = 'SchemaTooNewError'
  }
}

/** The highest applied version, 0 for an empty database. */
export function currentVersion(db: SqliteDatabase): number {
  const table = db
    .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`)
    .get()
  if (table === undefined) return 0
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as {
    v: number | null
  }
  return row.v ?? 0
}

/**
 * Applies the steps above the database's version, each in its own transaction with its record,
 * so a crash mid-way leaves a database at a known version. Throws SchemaTooNewError first.
 */
export function migrate(
  db: SqliteDatabase,
  migrations: readonly Migration[],
  now: string,
  onApplied?: (m: Migration) => void,
): { from: number; to: number } {
  assertOrdered(migrations)
  const known = migrations[migrations.length - 1]?.version ?? 0
  const from = currentVersion(db)
  if (from > known) throw new SchemaTooNewError(from, known)
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  )
  for (const m of migrations) {
    if (m.version <= from) continue
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up)
      else m.up(db)
      record.run(m.version, m.name, now)
    })()
    onApplied?.(m)
  }
  return { from, to: Math.max(from, known) }
}

function assertOrdered(migrations: readonly Migration[]): void {
  let last = 0
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= last) {
      throw new Error(`migration ${m.version} (${m.name}) is out of order: versions must increase`)
    }
    last = m.version
  }
}
