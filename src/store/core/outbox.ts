/**
 * What became of leased outbox jobs, recorded as data in one transaction (the dispatcher's tick):
 * each outcome in its own savepoint, so one that cannot be recorded is undone alone. The status
 * moves are the port's outcome operations, whose SQL takes its lists from `movableFrom()`.
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
