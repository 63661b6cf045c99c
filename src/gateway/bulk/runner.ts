/**
 * The bulk runner: works through every unfinished bulk in the store, one chunk of recipients at a
 * time. Each chunk is one transaction (messages, outbox jobs, counts and the resume cursor
 * together) and the loop yields to the event loop between chunks, so single sends keep their
 * latency while 100 000 recipients are enqueued. The runner keeps no state of its own that matters:
 * after a crash it picks each bulk up at its stored cursor. It also finishes bulks (done once
 * nothing is queued or sending, with the `bulk.done` event in the same transaction) and sweeps
 * the not-yet-sent messages of cancelled ones. It runs on the supervised loop; a bulk whose stored
 * job cannot be read ends `failed` (`corrupt_record`) and the others go on.
 */
import type { Logger } from 'pino'
import { SupervisedLoop, type TickOutcome } from '../../connectors/shared/supervised-loop.js'
import { CorruptRecord, type BulkRecord } from '../../store/types.js'
import { bulkEvent } from '../live/index.js'
import type { Services } from '../services.js'
import { cancelledBulks } from './cancelled.js'
import { CONTACT_GONE, evaluateRecipients } from './evaluate.js'
import { BulkPacer } from './pacer.js'
import { callerOf, readSpec, sendAtOf, sendContent, type BulkSpec } from './spec.js'

/**
 * Recipients per chunk (one transaction). Measured on a 2-core VM: ≈ 60 µs a recipient (rules
 * ≈ 18, writes ≈ 40), so ≈ 15 ms a chunk — a single send arriving meanwhile waits about that
 * long — and 100 000 recipients in ≈ 6 s. 500 or 1000 were no faster (commits are cheap, see
 * bulk-repo.ts) but held single sends up for 30–100 ms; 150 was 25 % slower.
 */
const BULK_CHUNK = 250
/** How soon a bulk whose last message went out is seen as done (two cheap indexed reads). */
const POLL_MS = 250
/** Messages cancelled per transaction when a bulk is cancelled. */
const CANCEL_CHUNK = 2000
/** A bulk whose chunk failed (a bug, a broken row) is tried again this much later. */
const ERROR_BACKOFF_MS = 10_000

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Lets what arrived during a chunk go before the next one. Two turns, not one: a single send
 * that came in during the chunk queued its group commit behind our first wake-up, in the same
 * turn; the second wake-up comes after that commit, so the send waits for at most one chunk.
 */
async function yieldToRequests(): Promise<void> {
  await nextTurn()
  await nextTurn()
}

export class BulkRunner {
  /** Recipients per chunk; tests make it small to stop a bulk half-way. */
  chunkSize = BULK_CHUNK
  private readonly pacer = new BulkPacer()
  private readonly failing = new Map<string, number>()
  private readonly log: Logger
  private loop: SupervisedLoop
  /** The loop was stopped: a new start (the scheduler's next term) needs a fresh one. */
  private loopStopped = false

  constructor(private readonly svc: Services) {
    this.log = svc.log.child({ component: 'bulk' })
    this.loop = this.newLoop()
  }

  /**
   * Starts the loop; unfinished bulks (after a crash, a stop, or made through another daemon)
   * resume where they were. Runs only in the scheduler's leader; may start again after a stop.
   */
  start(): void {
    if (this.loopStopped) this.loop = this.newLoop()
    this.loopStopped = false
    this.loop.start()
  }

  /** Something changed (a new bulk, a cancel): stop waiting. */
  kick(): void {
    this.loop.kick()
  }

  /** Stops between two chunks: nothing half-done is left, the cursor says where to resume. */
  async stop(): Promise<void> {
    this.loopStopped = true
    await this.loop.stop()
  }

  private newLoop(): SupervisedLoop {
    return new SupervisedLoop({
      name: 'bulk',
      log: this.log,
      health: this.svc.health,
      idleMs: POLL_MS,
      tick: (t) => this.tick(t.signal),
    })
  }

  /**
   * A new bulk: its first chunk is checked and enqueued right away (so the answer to a small bulk
   * has its final counts), the rest is left to the loop.
   */
  async submit(id: string): Promise<void> {
    try {
      await this.step(id)
    } catch (err) {
      // The job is on disk: the answer stays 202 (a 500 would invite a second bulk) and the
      // loop tries again.
      if (err instanceof CorruptRecord) await this.failCorrupt(id, err)
      else this.log.error({ err, bulk_id: id }, 'first bulk chunk failed; the loop will retry')
    }
    this.kick()
  }

  /**
   * Cancels a bulk: expansion stops, its messages not yet leased by the dispatcher are cancelled
   * (a chunk per transaction, yielding in between), and it finishes once nothing is in flight.
   * Those under the dispatcher's lease are cancelled by the dispatcher itself, which checks the
   * cancelled set right before each send; only requests already on the wire still go out.
   * A finished bulk is left as it is. Null when there is no such bulk.
   */
  async cancel(id: string): Promise<BulkRecord | null> {
    const { store } = this.svc
    const at = this.svc.now().toISOString()
    const b = await store.bulk.cancel(id, at)
    if (!b || b.status !== 'cancelled' || b.finished_at !== null) return b
    cancelledBulks(this.svc).add(id)
    // Other daemons (one PostgreSQL) hold leased jobs of it too: they stop at this event, or at
    // the store's answer they read right before each bulk send (bulk/cancelled.ts).
    this.svc.live.publish(bulkEvent('bulk.progress', b, at))
    while ((await store.bulk.cancelPending(id, at, Date.now(), CANCEL_CHUNK)) === CANCEL_CHUNK) {
      await nextTurn()
    }
    await this.finish(id)
    this.kick()
    return store.bulk.get(id)
  }

  /**
   * A step of every unfinished bulk. One bulk's failure does not hold up the others: it is tried
   * again after `ERROR_BACKOFF_MS`, and thrown at the end of the pass so the loop counts it. A bulk
   * whose row cannot be read fails for good instead.
   */
  private async tick(signal: AbortSignal): Promise<TickOutcome> {
    let busy = false
    let failure: { err: unknown } | null = null
    for (const b of await this.svc.store.bulk.listUnfinished()) {
      if (signal.aborted) break
      if ((this.failing.get(b.id) ?? 0) > Date.now()) continue
      try {
        busy = (await this.step(b.id)) || busy
        this.failing.delete(b.id)
      } catch (err) {
        if (err instanceof CorruptRecord) {
          await this.failCorrupt(b.id, err)
        } else {
          this.log.error({ err, bulk_id: b.id }, 'bulk step failed; trying again later')
          this.failing.set(b.id, Date.now() + ERROR_BACKOFF_MS)
          failure ??= { err }
        }
      }
      await yieldToRequests()
    }
    if (failure !== null) throw failure.err
    return busy ? 'busy' : 'idle'
  }

  /** One step of one bulk; true when there is more work right away. */
  private async step(id: string): Promise<boolean> {
    const { store } = this.svc
    const b = await store.bulk.get(id)
    if (!b || b.finished_at !== null) return false
    if (b.unreadable) throw new CorruptRecord('bulks', id, b.unreadable.join(', '))
    if (b.status === 'running' && b.checked < b.total) {
      await this.expand(b)
      return true
    }
    if (b.status === 'cancelled') {
      const at = this.svc.now().toISOString()
      // Jobs that were under a lease at cancel time and came back (released, retried).
      if ((await store.bulk.cancelPending(id, at, Date.now(), CANCEL_CHUNK)) === CANCEL_CHUNK)
        return true
    }
    await this.finish(id)
    return false
  }

  private async expand(b: BulkRecord): Promise<void> {
    const { store } = this.svc
    let spec: BulkSpec
    try {
      spec = readSpec(b)
    } catch (err) {
      // JSON, but not a spec this version wrote: as unreadable as a broken one.
      throw new CorruptRecord('bulks', b.id, 'spec', err)
    }
    const now = this.svc.now()
    const ids = await store.bulk.recipients(b.id, b.checked, this.chunkSize)
    const perSecond = this.svc.config().channels[b.channel]?.info.rules.rate.per_second ?? 1
    const pace = this.pacer.pace(b.channel, perSecond, b.next_due_at, Date.now())
    const job = {
      id: b.id,
      channel: b.channel,
      caller: callerOf(b),
      content: sendContent(spec),
      sendAt: sendAtOf(spec),
    }
    // No ids left before `total`: the snapshot is short (never written so); skip the rest.
    const r =
      ids.length > 0
        ? await evaluateRecipients(this.svc, job, ids, now, pace)
        : { plans: [], skipped: { [CONTACT_GONE]: b.total - b.checked }, nextDue: pace.start }
    const rec = await store.bulk.applyChunk({
      bulkId: b.id,
      from: b.checked,
      to: ids.length > 0 ? b.checked + ids.length : b.total,
      plans: r.plans,
      skipped: r.skipped,
      next_due_at: r.nextDue,
      now: now.toISOString(),
    })
    if (!rec) return // cancelled, or another step got there first
    this.svc.live.publish(bulkEvent('bulk.progress', rec, now.toISOString()))
    this.pacer.commit(b.channel, r.nextDue)
    const accepted = rec.eligible - b.eligible
    if (accepted > 0) {
      this.svc.metrics.accepted.inc({ channel: b.channel }, accepted)
      this.svc.kick()
    }
    if (rec.checked >= rec.total) {
      this.log.info(
        { bulk_id: b.id, total: rec.total, eligible: rec.eligible, skipped: rec.skipped },
        'bulk enqueued',
      )
    }
  }

  private async finish(id: string): Promise<void> {
    const at = this.svc.now().toISOString()
    // The store completes the event's data with the bulk's summary as it commits (bulkSummary).
    const done = await this.svc.store.bulk.finish(id, at, this.svc.events('bulk.done', {}, at))
    if (!done) return
    this.svc.live.publish(bulkEvent('bulk.done', done, at))
    cancelledBulks(this.svc).delete(id)
    this.log.info({ bulk_id: id, status: done.status }, 'bulk finished')
  }

  /**
   * Ends a bulk whose stored job (or a row it needs) cannot be read: `failed` with
   * `corrupt_record` and its `bulk.done` event, counted. Messages already enqueued still go out.
   */
  private async failCorrupt(id: string, err: CorruptRecord): Promise<void> {
    const at = this.svc.now().toISOString()
    const error = {
      code: 'corrupt_record',
      message: `the bulk cannot go on: ${err.message}; recipients not yet enqueued get nothing`,
    }
    this.failing.delete(id)
    const b = await this.svc.store.bulk.fail(id, at, error, this.svc.events('bulk.done', {}, at))
    if (!b) return
    this.svc.metrics.corrupt.inc({ kind: 'bulk' })
    this.log.error(
      { bulk_id: id, table: err.table, column: err.column, checked: b.checked, total: b.total },
      'bulk cannot be read; failed with corrupt_record',
    )
  }
}

const runners = new WeakMap<Services, BulkRunner>()

/** The runner of a gateway (one per Services): the wiring starts and stops it, routes use it. */
export function bulkRunner(svc: Services): BulkRunner {
  let r = runners.get(svc)
  if (!r) runners.set(svc, (r = new BulkRunner(svc)))
  return r
}
