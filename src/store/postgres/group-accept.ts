/**
 * Group commit on PostgreSQL (DESIGN §8, §10): accepts that arrive while earlier ones commit share
 * one transaction — one round trip for the group's openings, one for its writes and COMMIT, one
 * WAL flush — instead of one each. Nobody's `202` is answered before the commit that holds its
 * send. At most `IN_FLIGHT` groups commit at once, each of at most `MAX_GROUP` plans that share no
 * contact and no idempotency key (core `apart`); a plan held back goes in a later group.
 *
 * Failure, from the common to the rare: a plan's own outcome (a replay, `stale`) is an answer; a
 * plan that fails after writing makes the group run again with a savepoint per plan (core
 * `acceptGroup`), so only that plan is undone; a deadlock or serialization failure (the server
 * rolled the transaction back: another group, bulk or daemon locked the same rows in another
 * order) runs each plan alone; any other store fault rejects the group's plans (the API answers
 * 503 and the sender retries with its key).
 */
import { acceptGroup, apart, type GroupSettled } from '../core/accept.js'
import { runAsync } from '../core/program.js'
import { storeFault } from '../store-fault.js'
import type { AcceptOutcome, AcceptPlan } from '../types.js'
import type { Sql } from './exec.js'
import { pgTxPort } from './tx-port.js'

/** Plans in one group: more saves little (the flush is shared already), and holds locks longer. */
const MAX_GROUP = 64
/** Groups committing at once: one fills while the other's COMMIT waits for its flush. */
const IN_FLIGHT = 2

interface Pending {
  plan: AcceptPlan
  resolve: (o: AcceptOutcome) => void
  reject: (e: unknown) => void
}

export interface GroupAcceptOptions {
  /** `fn` in one transaction on one connection (exec.ts `inTransaction`). */
  transaction: <T>(fn: (s: Sql) => Promise<T>) => Promise<T>
  /** One plan in its own transaction: a group of one, and each plan after a deadlock. */
  single: (plan: AcceptPlan) => Promise<AcceptOutcome>
}

export class PgGroupAccept {
  private pending: Pending[] = []
  private running = 0
  private scheduled = false

  constructor(private readonly o: GroupAcceptOptions) {}

  submit(plan: AcceptPlan): Promise<AcceptOutcome> {
    return new Promise<AcceptOutcome>((resolve, reject) => {
      this.pending.push({ plan, resolve, reject })
      this.kick()
    })
  }

  /** Starts groups at the end of this turn (so its accepts join), while fewer than IN_FLIGHT run. */
  private kick(): void {
    if (this.scheduled || this.running >= IN_FLIGHT || this.pending.length === 0) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      while (this.running < IN_FLIGHT && this.pending.length > 0) {
        const { group, rest } = apart(this.pending, MAX_GROUP)
        this.pending = rest
        this.running++
        void this.commit(group).finally(() => {
          this.running--
          this.kick()
        })
      }
    })
  }

  private async commit(group: Pending[]): Promise<void> {
    const [only] = group
    if (group.length === 1 && only) return this.alone(only)
    const plans = group.map((p) => p.plan)
    let settled: GroupSettled[]
    try {
      settled = await this.run(plans, false)
    } catch (first) {
      if (rolledBackByServer(first)) return this.eachAlone(group)
      if (storeFault(first)) return rejectAll(group, first)
      // A plan failed after writing (or a write of the group failed at COMMIT): again, each plan
      // in its own savepoint, so the failure is undone alone and told to its sender alone.
      try {
        settled = await this.run(plans, true)
      } catch (second) {
        if (rolledBackByServer(second)) return this.eachAlone(group)
        return rejectAll(group, second)
      }
    }
    group.forEach((p, i) => {
      const s = settled[i]
      if (s && 'outcome' in s) p.resolve(s.outcome)
      else p.reject(s ? s.error : new Error('the group settled fewer plans than it had'))
    })
  }

  private run(plans: AcceptPlan[], savepoints: boolean): Promise<GroupSettled[]> {
    return this.o.transaction((s) => runAsync(pgTxPort(s), acceptGroup(plans, savepoints)))
  }

  private alone(p: Pending): Promise<void> {
    return this.o.single(p.plan).then(p.resolve, p.reject)
  }

  private async eachAlone(group: Pending[]): Promise<void> {
    await Promise.all(group.map((p) => this.alone(p)))
  }
}

function rejectAll(group: Pending[], error: unknown): void {
  for (const p of group) p.reject(error)
}

/** A deadlock or serialization failure: PostgreSQL rolled the transaction back, nothing of it holds. */
function rolledBackByServer(error: unknown): boolean {
  const code = storeFault(error)?.code
  return code === '40P01' || code === '40001'
}
