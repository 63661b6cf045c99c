/**
 * What became of leased outbox jobs, recorded as data in one transaction (the dispatcher's tick).
 * First all together (`recordAll`: the sent ones in one port call, no savepoints: each savepoint
 * is two more round trips on PostgreSQL); should one of them fail, the transaction is undone and
 * `recordOutcomes` runs instead, each outcome in its own savepoint, so one that cannot be
 * recorded is undone alone. The status moves are the port's outcome operations, whose SQL takes
 * its lists from `movableFrom()` (forward-only): the same rules either way.
 */
import { storeFault } from '../store-fault.js'
import type { OutboxOutcome, RecordResult } from '../types.js'
import { inSavepoint, tx, type Program } from './program.js'

export function* recordOutcomes(
  outcomes: readonly OutboxOutcome[],
): Program<RecordResult<OutboxOutcome>> {
  const rejected: RecordResult<OutboxOutcome>['rejected'] = []
  for (const o of outcomes) {
    try {
      yield* inSavepoint(recordOne(o))
    } catch (error) {
      // The database may have rolled the whole transaction back: the call fails as one.
      if (storeFault(error)) throw error
      rejected.push({ outcome: o, error })
    }
  }
  return { rejected }
}

/**
 * The outcomes without savepoints: sent ones in one `completeJobs` and their events in one
 * `enqueueEvents`, the rest one by one. Throws on the first that fails (the caller undoes the
 * transaction and runs `recordOutcomes`).
 */
export function* recordAll(
  outcomes: readonly OutboxOutcome[],
): Program<RecordResult<OutboxOutcome>> {
  const sent = outcomes.filter((o) => o.kind === 'sent')
  if (sent.length > 0) {
    yield* tx.completeJobs(sent)
    const events = sent.flatMap((o) => o.events)
    if (events.length > 0) yield* tx.enqueueEvents(events)
  }
  for (const o of outcomes) if (o.kind !== 'sent') yield* recordOne(o)
  return { rejected: [] }
}

function* recordOne(o: OutboxOutcome): Program<void> {
  switch (o.kind) {
    case 'sent':
      yield* tx.completeJob(o)
      if (o.events.length > 0) yield* tx.enqueueEvents(o.events)
      return
    case 'failed':
      if (o.unreachable) yield* tx.setReachable(o.unreachable.channel, o.unreachable.address, false)
      yield* tx.failJob(o)
      if (o.events.length > 0) yield* tx.enqueueEvents(o.events)
      return
    case 'retry':
      return yield* tx.retryJob(o)
    case 'cancelled':
      return yield* tx.cancelLeasedJob(o.jobId, o.messageId, o.at)
    case 'released':
      return yield* tx.releaseJob(o.jobId, o.dueAtMs)
  }
}

/** Cancels queued (not leased) jobs of the messages; how many. */
export function* cancelQueued(messageIds: readonly string[], at: string): Program<number> {
  const nowMs = Date.parse(at)
  let n = 0
  for (const id of new Set(messageIds)) {
    if (!(yield* tx.cancelQueuedJob(id, nowMs))) continue
    yield* tx.cancelMessage(id, at)
    n++
  }
  return n
}
