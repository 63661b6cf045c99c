/**
 * Opens the SQLite file with the settings durability depends on (DESIGN §2): WAL (readers never
 * block the writer), synchronous=FULL (a commit is fsync'd: a 202 means on disk), foreign keys.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { SqliteDatabase } from './sqlite-database.js'

/** Another process (an `omnigate backup`, a sqlite3 shell) may hold the lock for a moment. */
const BUSY_TIMEOUT_MS = 5000

export function openDatabase(file: string, opts: { readonly?: boolean } = {}): SqliteDatabase {
  const memory = file === ':memory:'
  if (!memory && !opts.readonly) mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file, {
    readonly: opts.readonly ?? false,
    fileMustExist: opts.readonly ?? false,
  })
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
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
