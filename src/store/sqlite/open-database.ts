/**
 * Opens the SQLite file with the settings durability depends on (DESIGN §2): WAL (readers never
 * block the writer), synchronous=FULL (a commit is fsync'd: a 202 means on disk), foreign keys.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { SqliteDatabase } from './sqlite-database.js'

/**
 * How long one statement of the running daemon waits for a lock another process holds (an
 * `omnigate backup`, a sqlite3 shell). better-sqlite3 waits synchronously: the whole event loop
 * (every request, `/healthz`, every send) stands still meanwhile, so this stays short. Writers that
 * matter retry without blocking instead: the group commit (GroupCommit) and the dispatcher's
 * outcome flush; anything else answers 503 `store_unavailable` and the client retries.
 */
export const BUSY_TIMEOUT_MS = 50

/**
 * Start-up (migrations) and one-shot CLI commands (`migrate`, `backup`) wait longer: nothing else
 * runs in the process yet, and a daemon's group commit holds the write lock for a few ms at a time.
 */
const START_BUSY_TIMEOUT_MS = 5000

/**
 * After a checkpoint, a WAL larger than this is truncated back to it. SQLite otherwise keeps a WAL
 * at its largest size for good: after a burst (or a stretch where readers held checkpoints back)
 * that space would stay taken, and on a small volume it is what a full disk needs back.
 */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024

export function openDatabase(
  file: string,
  opts: { readonly?: boolean; busyTimeoutMs?: number } = {},
): SqliteDatabase {
  const memory = file === ':memory:'
  if (!memory && !opts.readonly) mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file, {
    readonly: opts.readonly ?? false,
    fileMustExist: opts.readonly ?? false,
  })
  try {
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? START_BUSY_TIMEOUT_MS}`)
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`)
      // Savepoints' statement journals in memory, not temp files: a profile of the accept path
      // showed them tripling the bytes written per group commit.
      db.pragma('temp_store = MEMORY')
    }
    db.pragma('foreign_keys = ON')
  } catch (error) {
    db.close()
    throw error
  }
  return db
}
