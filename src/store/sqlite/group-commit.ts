/**
 * Group commit (DESIGN §8): accepts submitted in the same event-loop turn share one transaction
 * and one fsync, run off the event loop (wal-sync.ts: FULL's guarantee, the loop free meanwhile).
 * Each plan runs in its own savepoint, so one plan's conflict or error undoes only that plan. No
 * promise settles before the transaction has committed and its fsync has covered it.
 *
 * A batch that fails on a store fault is undone whole: SQLite may roll the whole transaction back
 * on SQLITE_FULL, IOERR or BUSY, and a later plan must not then commit on its own while the batch
 * reports failure. A batch that found the database locked by another process is tried again after
 * a short pause, without blocking the event loop, until its plans' time is up; then each is
 * rejected with the SQLITE_BUSY error (the API answers 503 `store_unavailable`: not accepted).
 */
import type { Logger } from 'pino'
import { storeFault } from '../store-fault.js'
import type { AcceptOutcome, AcceptPlan } from '../types.js'
import { PlanOutcome } from '../core/accept.js'
import type { Executor } from './executor.js'
import type { SearchIndex } from './search-index.js'
import type { Durable } from './wal-sync.js'

/** A bigger batch saves little more fsync time but holds the event loop longer in one go. */
const MAX_BATCH = 256

/**
 * How long a plan may wait out a lock another process holds: a backup or a shell's write is
 * usually over well within it; past it the sender hears 503 + Retry-After and retries with its
 * Idempotency-Key, rather than hanging towards its own timeout (clients commonly give up at 2–5 s).
 * @internal exported for its tests
 */
export const BUSY_RETRY_MS = 1000
/**
 * Pauses between tries of a locked batch: from RETRY_FIRST_MS, doubled up to RETRY_MAX_MS. A retry
 * does not wait for the lock at all (busy timeout 0 for that try), so tries can be frequent and
 * the event loop stays free while another process holds the lock.
 */
const RETRY_FIRST_MS = 10
const RETRY_MAX_MS = 100

interface Pending {
  plan: AcceptPlan
  resolve: (o: AcceptOutcome) => void
  reject: (e: unknown) => void
  /** Until when (ms) a locked database is waited out for this plan. */
  deadline: number
}

type Settled = { outcome: AcceptOutcome } | { error: unknown }

export class GroupCommit {
  private pending: Pending[] = []
  private scheduled: NodeJS.Immediate | null = null
  private retry: NodeJS.Timeout | null = null
  private retryDelayMs = 0
  private closed = false

  constructor(
    private readonly x: Executor,
    /** Applies one plan in its own savepoint (undone when it throws). */
    private readonly apply: (plan: AcceptPlan) => AcceptOutcome,
    private readonly index: Pick<SearchIndex, 'batch'>,
    private readonly durable: Durable,
    private readonly log?: Logger,
  ) {}

  submit(plan: AcceptPlan): Promise<AcceptOutcome> {
    if (this.closed) return Promise.reject(new Error('the store is closed'))
    return new Promise<AcceptOutcome>((resolve, reject) => {
      this.pending.push({ plan, resolve, reject, deadline: Date.now() + BUSY_RETRY_MS })
      // While a locked batch waits for its next try, new plans join that try.
      if (this.retry) return
      if (this.pending.length >= MAX_BATCH) this.flush()
      else this.scheduled ??= setImmediate(() => this.flush())
    })
  }

  /** Commits what is pending now. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled)
    if (this.retry) clearTimeout(this.retry)
    this.scheduled = null
    this.retry = null
    // A retry only looks whether the lock is free: waiting is the backoff's job, not the loop's.
    const retrying = this.retryDelayMs > 0
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH)
      const failed = retrying ? this.withoutBusyWait(() => this.commit(batch)) : this.commit(batch)
      if (!failed) {
        this.retryDelayMs = 0
        continue
      }
      const { error } = failed
      if (storeFault(error)?.kind === 'busy' && !this.closed) {
        this.waitForLock(batch, error)
        return
      }
      this.log?.error({ err: error, batch: batch.length }, 'accept batch failed to commit')
      for (const p of batch) p.reject(error)
    }
  }

  /** Commits what is pending and refuses further plans. */
  close(): void {
    this.closed = true
    this.flush()
  }

  /**
   * Commits one batch; its plans settle once the commit is on stable storage (a failed fsync
   * rejects them: the sender hears 503 and retries with its key), unless the transaction failed as
   * a whole. The next batch may commit while this one's fsync runs.
   */
  private commit(batch: Pending[]): { error: unknown } | null {
    const settled: Settled[] = []
    try {
      this.durable.relax(() =>
        this.x.tx(() =>
          this.index.batch(() => {
            for (const p of batch) settled.push(this.applyOne(p.plan))
          }),
        ),
      )
    } catch (error) {
      return { error }
    }
    const settle = (): void =>
      batch.forEach((p, i) => {
        const s = settled[i]
        if (s && 'outcome' in s) p.resolve(s.outcome)
        else p.reject(s?.error)
      })
    this.durable.sync().then(settle, (error: unknown) => {
      this.log?.error({ err: error, batch: batch.length }, 'syncing an accept batch failed')
      for (const p of batch) p.reject(error)
    })
    return null
  }

  private withoutBusyWait<T>(fn: () => T): T {
    const db = this.x.db
    const was = db.pragma('busy_timeout', { simple: true }) as number
    db.pragma('busy_timeout = 0')
    try {
      return fn()
    } finally {
      db.pragma(`busy_timeout = ${was}`)
    }
  }

  /** Plans whose time is not up wait (with everything pending) for the next try; the rest fail. */
  private waitForLock(batch: Pending[], error: unknown): void {
    const now = Date.now()
    const waiting = batch.filter((p) => p.deadline > now)
    for (const p of batch) if (p.deadline <= now) p.reject(error)
    this.pending = [...waiting, ...this.pending]
    if (this.retryDelayMs === 0)
      this.log?.warn({ batch: batch.length }, 'the database is locked by another process; waiting')
    if (this.pending.length === 0) {
      this.retryDelayMs = 0
      return
    }
    this.retryDelayMs = Math.min(RETRY_MAX_MS, this.retryDelayMs * 2 || RETRY_FIRST_MS)
    // No later than the oldest plan's deadline, so its sender hears the 503 on time.
    const oldest = this.pending[0]?.deadline ?? now
    this.retry = setTimeout(
      () => this.flush(),
      Math.max(1, Math.min(this.retryDelayMs, oldest - now)),
    )
  }

  private applyOne(plan: AcceptPlan): Settled {
    try {
      return { outcome: this.apply(plan) }
    } catch (error) {
      if (error instanceof PlanOutcome) return { outcome: error.outcome }
      // SQLite may have rolled the whole transaction back: the batch fails as one.
      if (storeFault(error) || !this.x.db.inTransaction) throw error
      return { error }
    }
  }
}
