/**
 * The store's own check that it takes writes again after a fault (a full disk, a failing one): a
 * small fsync'd write that needs free pages, then the WAL moved into the database and truncated to
 * zero bytes, so the space a grown WAL held goes back to the file system. Only when both work is
 * the store writable: on a small volume a WAL that keeps its size eats the space just freed.
 */
import type { SqliteDatabase } from './sqlite-database.js'

/**
 * Written and overwritten in the probe's transaction: big enough to need pages of its own (a row
 * update in place would pass on a full disk), small enough to cost nothing every few seconds.
 */
const PROBE_BYTES = 64 * 1024

const PUT = `INSERT INTO kv (scope, key, value) VALUES ('store', 'write-probe', ?)
  ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value`

export interface WriteProbeResult {
  /** False when a reader kept the checkpoint from finishing (the WAL is truncated later). */
  walTruncated: boolean
}

/** Throws the store's error (SQLITE_FULL, SQLITE_IOERR …) while the store cannot write. */
export function probeWrites(db: SqliteDatabase, now: string): WriteProbeResult {
  const put = db.prepare(PUT)
  db.transaction(() => {
    put.run('x'.repeat(PROBE_BYTES))
    put.run(now)
  })()
  const [row] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[]
  return { walTruncated: row?.busy === 0 }
}
