/**
 * `omnigate copy --from FILE.db --to postgres://…` (DESIGN §10 "moving up"): carries a SQLite
 * deployment to PostgreSQL whole — every table of `tables.ts`, the blob files, the contact search
 * rebuilt PostgreSQL's way — on a stopped daemon.
 *
 * - The source must be at this code's schema version (`omnigate migrate` it first); the target is
 *   migrated to it here.
 * - The target must be empty of data — no contact, thread, message, job, bulk, idempotency record
 *   or blob (`kv` does not count: a daemon started on it writes its own settings there) — unless
 *   it holds an unfinished copy of this same source (the `omnigate-copy` records in its kv name
 *   the source by the time its first migration ran), which is then resumed.
 * - Resumable: see copy-table.ts. A rerun after a crash or Ctrl-C goes on where the last batch
 *   committed; a rerun after a finished copy writes nothing and reports the same counts.
 * - The URL's password never appears in output or errors.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type pg from 'pg'
import { connectPostgres, PostgresConnectError } from '../postgres/connect.js'
import { migratePostgres } from '../postgres/migrate.js'
import { redactUrl } from '../postgres/redact-url.js'
import { currentVersion } from '../sqlite/migrate.js'
import { SCHEMA_VERSION } from '../sqlite/migrations/index.js'
import { openDatabase } from '../sqlite/open-database.js'
import type { SqliteDatabase } from '../sqlite/sqlite-database.js'
import { blobFiles, copyBlobs } from './copy-blobs.js'
import { copyTable, countRows, readProgress, writeProgress } from './copy-table.js'
import { reindexSurvivors } from './merged-search.js'
import { COPY_TABLES } from './tables.js'

/** Rows per batch: large enough for few round trips, small enough to commit often. */
const BATCH_ROWS = 500
/** One copy into a database at a time: "omni" high, "c0b1" (copy) low, as omnigate's other locks. */
const COPY_LOCK = 0x6f6d6e69_0000c0b1n

export interface CopyOptions {
  /** The SQLite file. */
  from: string
  /** The PostgreSQL URL. */
  to: string
  /** The blob files' folder (default: `blobs/` beside the SQLite file, as the daemon keeps it). */
  blobsDir?: string
  /** Rows per batch (tests make it small to cut a copy between batches). */
  batchSize?: number
  now?: () => Date
  /** Runs after each committed batch (a test seam: throwing there plays a crash). */
  onBatch?: (table: string, rows: number) => void
}

export interface CopyReport {
  /** Rows per table on each side, blobs last (files vs rows). */
  tables: { name: string; source: number; target: number }[]
  /** The target held an unfinished copy of this source, continued here. */
  resumed: boolean
  /** Rows written by this run. */
  written: number
}

/** The copy cannot start as asked (bad source, a target holding other data …). */
class CopyRefused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CopyRefused'
  }
}

export async function copySqliteToPostgres(o: CopyOptions): Promise<CopyReport> {
  const now = o.now ?? (() => new Date())
  if (!existsSync(o.from)) throw new CopyRefused(`--from: ${o.from} does not exist`)
  const src = openDatabase(o.from, { readonly: true })
  try {
    const version = currentVersion(src)
    if (version !== SCHEMA_VERSION) {
      throw new CopyRefused(
        `--from: ${o.from} is at schema version ${version}, this omnigate at ${SCHEMA_VERSION}; ` +
          'run `omnigate migrate` on it with the omnigate that will use the copy',
      )
    }
    const pool = await connect(o.to)
    try {
      await migratePostgres(pool, now().toISOString())
      const c = await pool.connect()
      try {
        return await locked(c, () => run(src, c, o, now))
      } finally {
        c.release()
      }
    } finally {
      await pool.end()
    }
  } catch (error) {
    throw scrubbed(error, o.to)
  } finally {
    src.close()
  }
}

async function run(
  src: SqliteDatabase,
  c: pg.ClientBase,
  o: CopyOptions,
  now: () => Date,
): Promise<CopyReport> {
  const source = sourceName(src)
  const recorded = await readProgress(c, 'source')
  if (recorded !== null && recorded !== source) {
    throw new CopyRefused(
      `--to: ${redactUrl(o.to)} holds a copy of another SQLite database; copy into an empty one`,
    )
  }
  if (recorded === null) {
    const busy = await tablesWithData(c)
    if (busy.length > 0) {
      throw new CopyRefused(
        `--to: ${redactUrl(o.to)} already holds data (${busy.join(', ')}); copy into an empty database`,
      )
    }
    await writeProgress(c, 'source', source)
  }
  let written = 0
  for (const t of COPY_TABLES) {
    written += await copyTable(src, c, t, o.batchSize ?? BATCH_ROWS, o.onBatch)
  }
  await reindexSurvivors(c)
  const blobsDir = o.blobsDir ?? join(dirname(o.from), 'blobs')
  written += await copyBlobs(blobsDir, c, o.onBatch)
  await writeProgress(c, 'finished_at', now().toISOString())
  const tables = []
  for (const t of COPY_TABLES) tables.push({ name: t.name, ...(await countRows(src, c, t)) })
  const blobs = await c.query<{ n: string }>('SELECT count(*) AS n FROM blobs')
  tables.push({
    name: 'blobs',
    source: (await blobFiles(blobsDir)).length,
    target: Number(blobs.rows[0]?.n ?? 0),
  })
  return { tables, resumed: recorded !== null, written }
}

/** What names the source across runs: when its first migration ran (a file may be moved). */
function sourceName(src: SqliteDatabase): string {
  const r = src.prepare('SELECT applied_at FROM schema_migrations WHERE version = 1').get() as
    { applied_at: string } | undefined
  return `sqlite created ${r?.applied_at ?? 'unknown'}`
}

/** Tables (of the copied ones, kv aside) that hold a row. */
async function tablesWithData(c: pg.ClientBase): Promise<string[]> {
  const names = [...COPY_TABLES.map((t) => t.name).filter((n) => n !== 'kv'), 'blobs']
  const busy: string[] = []
  for (const n of names) {
    const r = await c.query(`SELECT 1 FROM "${n}" LIMIT 1`)
    if (r.rows.length > 0) busy.push(n)
  }
  return busy
}

async function locked<T>(c: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
    COPY_LOCK.toString(),
  ])
  if (!r.rows[0]?.ok) throw new CopyRefused('another omnigate copy into this database is running')
  try {
    return await fn()
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [COPY_LOCK.toString()]).catch(() => undefined)
  }
}

async function connect(url: string): Promise<pg.Pool> {
  try {
    return await connectPostgres({ url, pool: 1, applicationName: 'omnigate-copy' })
  } catch (error) {
    // The store's wording names its config key; here the URL came from --to.
    if (error instanceof PostgresConnectError)
      throw new CopyRefused(error.message.replace(/^store\.postgres\.url: /, '--to: '))
    throw error
  }
}

/** The error with the URL's password nowhere in its message. */
function scrubbed(error: unknown, url: string): unknown {
  if (!(error instanceof Error)) return error
  let password = ''
  try {
    password = new URL(url).password
  } catch {
    // no password we could find
  }
  const secrets = [url, password, safeDecode(password)].filter((s) => s !== '')
  let message = error.message
  for (const s of secrets) message = message.split(s).join(s === url ? redactUrl(url) : '***')
  if (message === error.message) return error
  const clean = error instanceof CopyRefused ? new CopyRefused(message) : new Error(message)
  return clean
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** The report as the command prints it: a line per table, source and target counts. */
export function formatCopyReport(r: CopyReport, from: string, to: string): string {
  const width = Math.max(...r.tables.map((t) => t.name.length), 5)
  const lines = [
    `${r.resumed ? (r.written === 0 ? 'already copied' : 'resumed the copy of') : 'copied'} ${from} to ${redactUrl(to)} (${r.written} rows written now)`,
    `${'table'.padEnd(width)}  ${'source'.padStart(9)}  ${'target'.padStart(9)}`,
    ...r.tables.map(
      (t) =>
        `${t.name.padEnd(width)}  ${String(t.source).padStart(9)}  ${String(t.target).padStart(9)}${t.target < t.source ? '  MISSING' : ''}`,
    ),
  ]
  return lines.join('\n')
}
