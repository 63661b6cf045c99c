/**
 * Durable commits without an fsync on the event loop. With synchronous=FULL, better-sqlite3 fsyncs
 * the WAL inside COMMIT, on the main thread: 1–4 ms on this machine kind, during which no request,
 * send or stream event runs (a profile of P8 had four of them per web chat message and the loop
 * saturated at ~150 messages a second). The hot writes therefore commit with synchronous=NORMAL
 * (their frames reach the WAL file, no fsync) and then wait here for an fsync of the WAL file on
 * libuv's thread pool before their promise settles. What a caller sees is FULL's promise — a
 * settled write is on stable storage — while the loop goes on serving others.
 *
 * Why it is the same guarantee: in WAL mode a transaction is durable once its frames (and the WAL
 * header, when the WAL was just restarted) are on disk; fsync(2) on any descriptor of the file
 * flushes all its dirty pages. A sync started after a commit covers that commit. Frames of a later
 * commit not yet synced fail their checksum after a power cut and are dropped whole — that commit's
 * writer had not been told yet. A process crash (kill -9) loses nothing either way: the frames are
 * in the OS's page cache.
 *
 * One fsync runs at a time; commits made meanwhile share the next one (group commit for every
 * write, not only accepts). The descriptor is checked against the path's inode on each sync, so a
 * WAL file deleted and made anew (another process switching journal modes) is opened again.
 */
import { open, stat, type FileHandle } from 'node:fs/promises'
import type { Executor } from './executor.js'

/** How a commit is made durable without an fsync on the event loop. */
export interface Durable {
  /** Runs `fn` (a whole transaction) with the commit's own fsync left out. */
  relax<T>(fn: () => T): T
  /** Settles once everything committed so far is on stable storage. */
  sync(): Promise<void>
}

interface Waiter {
  upTo: number
  resolve: () => void
  reject: (e: unknown) => void
}

export class WalSync implements Durable {
  /** Commits asked for so far / covered by a finished fsync. */
  private asked = 0
  private synced = 0
  private waiters: Waiter[] = []
  /** The fsync loop while it runs. */
  private running: Promise<void> | null = null
  private file: { handle: FileHandle; ino: number } | null = null
  private closed = false
  /** The database's `-wal` file; null without one (`:memory:`, read-only, a rollback journal). */
  private readonly walPath: string | null
  /** fsyncs done: tests read it to see commits share them. */
  fsyncs = 0

  /** `x`: the connection's executor (its statement cache serves the `synchronous` switch). */
  constructor(private readonly x: Executor) {
    const { db } = x
    const wal = !db.memory && !db.readonly && db.pragma('journal_mode', { simple: true }) === 'wal'
    this.walPath = wal ? `${db.name}-wal` : null
  }

  /** False for a database without a WAL: its commits keep their own fsync. */
  get enabled(): boolean {
    return this.walPath !== null
  }

  /** A database without a WAL keeps FULL's fsync inside the commit. */
  relax<T>(fn: () => T): T {
    return this.walPath === null ? fn() : withoutFsync(this.x, fn)
  }

  /** Resolves once everything committed before this call is on stable storage. */
  sync(): Promise<void> {
    if (this.walPath === null) return Promise.resolve()
    const upTo = ++this.asked
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ upTo, resolve, reject })
      this.running ??= this.run()
    })
  }

  /** After the database is closed: nothing is pending any more (close checkpointed the WAL). */
  async close(): Promise<void> {
    this.closed = true
    await this.running
    const f = this.file
    this.file = null
    await f?.handle.close().catch(() => undefined)
  }

  private async run(): Promise<void> {
    try {
      while (this.synced < this.asked) {
        const upTo = this.asked
        try {
          await this.fsync()
          this.synced = upTo
          this.settle(upTo, null)
        } catch (error) {
          this.settle(upTo, asStoreFault(error))
          this.synced = upTo
        }
      }
    } finally {
      this.running = null
    }
  }

  private settle(upTo: number, error: unknown): void {
    const done = this.waiters.filter((w) => w.upTo <= upTo)
    this.waiters = this.waiters.filter((w) => w.upTo > upTo)
    for (const w of done)
      if (error === null) w.resolve()
      else w.reject(error)
  }

  private async fsync(): Promise<void> {
    // Closed: the close checkpointed and removed the WAL; the rows are in the database file.
    if (this.closed || this.walPath === null) return
    const path = this.walPath
    this.fsyncs++
    const file = this.file
    if (file) {
      const [, now] = await Promise.all([file.handle.sync(), stat(path).catch(() => null)])
      if (now !== null && now.ino === file.ino) return
      // Replaced (or, after close, gone): the next sync opens whatever the path names now.
      if (this.file === file) this.file = null
      await file.handle.close().catch(() => undefined)
      if (now === null) return
    }
    let handle: FileHandle
    try {
      handle = await open(path, 'r+')
    } catch (error) {
      // No WAL: the last connection's close checkpointed it into the database file and removed it.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    try {
      const { ino } = await handle.stat()
      await handle.sync()
      if (this.closed) await handle.close()
      else this.file = { handle, ino }
    } catch (error) {
      await handle.close().catch(() => undefined)
      throw error
    }
  }
}

/**
 * A failed fsync is the disk's fault, as SQLite's own would have been (`SQLITE_IOERR_FSYNC`): the
 * API answers 503 `store_unavailable` and the client retries with its key. A full disk keeps its
 * own code.
 */
function asStoreFault(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') return error
  const message = error instanceof Error ? error.message : String(error)
  return Object.assign(new Error(`syncing the WAL failed: ${message}`, { cause: error }), {
    code: 'SQLITE_IOERR_FSYNC',
  })
}

/**
 * Runs `fn` with synchronous=NORMAL: its commit writes the WAL without an fsync. Alone (bulk
 * chunks) that is safe where nothing can act on the rows before a later synced write: none of a
 * chunk's messages can be sent before the dispatcher leases it, and a lease settles only once the
 * WAL is synced, which makes everything before it durable too. A power cut before then loses the
 * chunk whole, cursor included, and the runner does it again — never half, never twice. A process
 * crash loses nothing.
 */
export function withoutFsync<T>(x: Executor, fn: () => T): T {
  // SQLite refuses to change it inside a transaction; the caller's commit decides then.
  if (x.db.inTransaction) return fn()
  // Prepared once, by the executor's cache: `pragma()` prepares on every call, and this runs
  // around every transaction (1.3 % of the dispatcher's time in P2's profile).
  const was = (x.stmt('PRAGMA synchronous').get() as { synchronous: number }).synchronous
  x.stmt('PRAGMA synchronous = NORMAL').run()
  try {
    return fn()
  } finally {
    x.stmt(`PRAGMA synchronous = ${was}`).run()
  }
}
