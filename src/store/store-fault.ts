/**
 * Store faults: errors that say the store cannot do its work right now, not that the request or the
 * code is wrong. better-sqlite3 throws `SqliteError` with SQLite's extended result code in `.code`
 * (`SQLITE_BUSY`, `SQLITE_IOERR_WRITE` …); the blob files throw Node's `ENOSPC` / `EIO`. This is
 * the one place that tells them apart, so the API answers every one of them the same way (503,
 * retry later) and nothing else is mistaken for one. The store knows no HTTP: callers map the kind.
 */
import { pgFaultKind } from './postgres/pg-faults.js'

/**
 * - `busy`: another connection holds the lock (or SQLite's locking protocol raced): retry shortly;
 * - `full`: the disk (or the database's `max_page_count`) is full: retry once space is freed;
 * - `io`: the disk failed a read or write: retry, and look at the disk.
 */
export type StoreFaultKind = 'busy' | 'full' | 'io'

export interface StoreFault {
  kind: StoreFaultKind
  /** The error's code as thrown (`SQLITE_BUSY_SNAPSHOT`, `ENOSPC` …), for logs. */
  code: string
}

/** Primary SQLite result codes (before `_`), and Node's file system codes, by kind. */
const KINDS: Record<string, StoreFaultKind> = {
  SQLITE_BUSY: 'busy',
  SQLITE_LOCKED: 'busy',
  // WAL's shared-memory locking lost a race with another connection: transient like BUSY.
  SQLITE_PROTOCOL: 'busy',
  SQLITE_FULL: 'full',
  SQLITE_IOERR: 'io',
  ENOSPC: 'full',
  EDQUOT: 'full',
  EIO: 'io',
}

/** The fault `err` is, or null when it is no store fault (a bug, a conflict, bad input …). */
export function storeFault(err: unknown): StoreFault | null {
  if (!(err instanceof Error)) return null
  const code = (err as { code?: unknown }).code
  if (typeof code !== 'string') return null
  // Extended codes refine a primary one: SQLITE_IOERR_FSYNC, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED_SHAREDCACHE.
  const primary = code.startsWith('SQLITE_') ? code.split('_', 2).join('_') : code
  // PostgreSQL: SQLSTATEs and socket codes (postgres/pg-faults.ts).
  const kind = KINDS[primary] ?? pgFaultKind(code)
  return kind ? { kind, code } : null
}
