/**
 * Group commit (DESIGN §8): accepts submitted in the same event-loop turn share one transaction
 * and one fsync (synchronous=FULL). Each plan runs in its own savepoint, so one plan's conflict or
 * error undoes only that plan. No promise settles before the transaction has committed.
 */
import type { Logger } from 'pino'
import type { AcceptOutcome, AcceptPlan } from '../types.js'
import { PlanOutcome } from './accept-plan.js'
import type { Executor } from './executor.js'
import type { SearchIndex } from './search-index.js'

/** A bigger batch saves little more fsync time but holds the event loop longer in one go. */
const MAX_BATCH = 256

interface Pending {
  plan: AcceptPlan
  resolve: (o: AcceptOutcome) => void
  reject: (e: unknown) => void
}

type Settled = { outcome: AcceptOutcome } | { error: unknown }

export class GroupCommit {
  private pending: Pending[] = []
  private scheduled: NodeJS.Immediate | null = null
  private closed = false

  constructor(
    private readonly x: Executor,
    private readonly apply: (plan: AcceptPlan) => AcceptOutcome,
    private readonly index: Pick<SearchIndex, 'batch' | 'undoable'>,
    private readonly log?: Logger,
  ) {}

  submit(plan: AcceptPlan): Promise<AcceptOutcome> {
    if (this.closed) return Promise.reject(new Error('the store is closed'))
    return new Promise<AcceptOutcome>((resolve, reject) => {
      this.pending.push({ plan, resolve, reject })
      if (this.pending.length >= MAX_BATCH) this.flush()
      else this.scheduled ??= setImmediate(() => this.flush())
    })
  }

  /** Commits what is pending now. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled)
    this.scheduled = null
    const batch = this.pending
    this.pending = []
    if (batch.length === 0) return
    const settled: Settled[] = []
    try {
      this.x.tx(() =>
        this.index.batch(() => {
          for (const p of batch) settled.push(this.applyOne(p.plan))
        }),
      )
    } catch (error) {
      this.log?.error({ err: error, batch: batch.length }, 'accept batch failed to commit')
      for (const p of batch) p.reject(error)
      return
    }
    batch.forEach((p, i) => {
      const s = settled[i]
      if (s && 'outcome' in s) p.resolve(s.outcome)
      else p.reject(s?.error)
    })
  }

  /** Commits what is pending and refuses further plans. */
  close(): void {
    this.flush()
    this.closed = true
  }

  private applyOne(plan: AcceptPlan): Settled {
    try {
      return { outcome: this.index.undoable(() => this.x.tx(() => this.apply(plan))) }
    } catch (error) {
      return error instanceof PlanOutcome ? { outcome: error.outcome } : { error }
    }
  }
}
