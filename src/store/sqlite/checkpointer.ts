/**
 * WAL checkpoints off the event loop while writes are busy. SQLite checkpoints inside the COMMIT
 * that takes the WAL past `wal_autocheckpoint` pages (1 000): it copies the WAL's pages into the
 * database file and fsyncs both, on the thread that committed. Under P1's load (≈ 25 000 pages a
 * second) that was a checkpoint every ≈ 40 ms with two fsyncs each, all on the event loop: 12 %
 * of the daemon's time, and every request waiting meanwhile.
 *
 * Once writes come at a sustained rate, a worker thread with its own connection to the file does
 * the checkpoints, PASSIVE (it never waits for the writer, nor the writer for it), about every
 * CHECK_MS, and the event loop's connection checkpoints itself only past BACKSTOP_PAGES (should
 * the worker fall behind or fail). A quiet daemon never starts the worker: it would cost the idle
 * footprint (DESIGN §8 P5) more than its few checkpoints cost the loop.
 *
 * The guarantee is SQLite's own: the worker's connection has synchronous=FULL, so it fsyncs the
 * WAL before copying and the database file after; a WAL is only restarted over frames already
 * checkpointed. Two connections in one process share SQLite's per-file lock bookkeeping (one
 * copy of the library), as two processes would share the file's locks.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import type { SqliteDatabase } from './sqlite-database.js'

/**
 * How often a busy WAL is checkpointed. Rarer checkpoints copy a page written many times once
 * (P1 accept: 2 840 req/s at 100 ms, 3 000–3 250 at 250 ms to 1 s; 2 700 on the loop).
 */
const CHECK_MS = 250
/** Writes (commits, or rows of a bulk chunk) within CHECK_MS that start the worker. */
const BUSY_WRITES = 32
/** SQLite's default threshold, kept while the worker is not running. */
const OWN_PAGES = 1000
/** The event loop's own checkpoint once the worker runs: only if the WAL grows this far (64 MB). */
const BACKSTOP_PAGES = 16_384

/** Runs in the worker: one connection, a PASSIVE checkpoint per request. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file, { fileMustExist: true })
db.pragma('busy_timeout = 0')
db.pragma('synchronous = FULL')
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close()
    parentPort.close()
    return
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
    parentPort.postMessage({})
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message) })
  }
})
parentPort.postMessage('ready')
`

export class Checkpointer {
  private writes = 0
  private timer: NodeJS.Timeout | null = null
  private worker: Worker | null = null
  private ready = false
  private inFlight = false
  /** The worker failed once: the event loop's connection checkpoints for good. */
  private failed = false
  /** The last checkpoint failed (a full disk): logged once, until one works again. */
  private failing = false
  private closed = false
  /** Checkpoints the worker ran (tests read it). */
  checkpoints = 0

  constructor(
    private readonly db: SqliteDatabase,
    private readonly log?: Logger,
    /** Test seam: the SQLite driver the worker loads (a test names a missing one). */
    private readonly driver = createRequire(import.meta.url).resolve('better-sqlite3'),
  ) {}

  /** Whether the database has a WAL another connection can checkpoint. */
  private get eligible(): boolean {
    return (
      !this.db.memory &&
      !this.db.readonly &&
      this.db.pragma('journal_mode', { simple: true }) === 'wal'
    )
  }

  /** A write committed; `rows` counts what it wrote (a bulk chunk writes many). */
  note(rows = 1): void {
    if (this.closed || this.failed) return
    this.writes += rows
    if (!this.timer) this.timer = setTimeout(() => this.tick(), CHECK_MS).unref()
  }

  private tick(): void {
    this.timer = null
    const writes = this.writes
    this.writes = 0
    if (this.closed || this.failed) return
    if (!this.worker) {
      if (writes < BUSY_WRITES || !this.eligible) return
      this.start()
      return
    }
    if (writes > 0) this.request()
  }

  private start(): void {
    const workerData = { driver: this.driver, file: this.db.name }
    const worker = new Worker(WORKER, { eval: true, workerData })
    worker.unref()
    this.worker = worker
    worker.on('message', (m: unknown) => {
      if (m === 'ready') {
        this.ready = true
        // From now on the worker keeps the WAL short; the loop's own checkpoint is the backstop.
        this.setOwnPages(BACKSTOP_PAGES)
        this.request()
        return
      }
      this.inFlight = false
      const r = m as { error?: string }
      if (r.error !== undefined) {
        // Every 250 ms while it lasts (a full disk fails the writes too, and says so itself).
        if (!this.failing) this.log?.warn({ error: r.error }, 'WAL checkpoint failed')
        this.failing = true
        return
      }
      if (this.failing) this.log?.info('WAL checkpoints work again')
      this.failing = false
      this.checkpoints++
    })
    worker.on('error', (error) => this.fail(error))
    worker.on('exit', (code) => {
      if (this.worker === worker) this.fail(new Error(`the checkpoint thread exited (${code})`))
    })
  }

  private request(): void {
    if (!this.worker || !this.ready || this.inFlight) return
    this.inFlight = true
    this.worker.postMessage('check')
  }

  /** The worker could not run: the loop's connection checkpoints as SQLite does by default. */
  private fail(error: unknown): void {
    if (this.closed || this.failed) return
    this.log?.warn({ err: error }, 'the WAL checkpoint thread stopped; checkpointing on the loop')
    this.failed = true
    this.worker = null
    this.ready = false
    if (this.db.open) this.setOwnPages(OWN_PAGES)
  }

  private setOwnPages(pages: number): void {
    this.db.pragma(`wal_autocheckpoint = ${pages}`)
  }

  /**
   * Stops the worker with its connection closed: the last connection to close checkpoints the
   * WAL into the file and removes it, and one left open would leave the WAL behind.
   */
  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const worker = this.worker
    this.worker = null
    if (!worker) return
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
    // Unref'd so far (an idle thread keeps no process alive); a stop waits for it, and nothing
    // else may be left to keep the loop running meanwhile.
    worker.ref()
    if (this.ready) worker.postMessage('close')
    else await worker.terminate()
    await exited
  }
}
