/**
 * Operator retry (DESIGN §15): a `failed` message is queued again under the same id, with a new
 * outbox job, its attempts reset and a `retried` event in its thread, in one transaction. The
 * gateway decided the rules allow it; this re-checks, under the transaction, that the message is
 * still `failed` (two operators retrying at once: one wins, the other gets the status it found).
 */
import type { MessageRetry, RetryOutcome } from '../types.js'
import { tx, type Program } from './program.js'
import { event } from './threads.js'

export function* retryMessage(r: MessageRetry): Program<RetryOutcome> {
  const status = yield* tx.messageStatus(r.id)
  if (status === null) return { ok: false, status: null }
  if (!(yield* tx.requeueMessage(r.id, r.now, r.earlierHistory))) return { ok: false, status }
  yield* tx.insertOutbox({
    messageId: r.id,
    channel: r.channel,
    recipientKey: r.recipientKey,
    dueAt: r.dueAtMs,
    priority: 'single',
  })
  yield* event(r.threadId, r.contactId, 'retried', r.actor, { message_id: r.id }, r.now)
  yield* tx.touchThread(r.threadId, r.now)
  if (r.events.length > 0) yield* tx.enqueueEvents(r.events)
  // Read under the transaction: once it commits, the dispatcher may take the message further
  // before the caller hears back (the fsync runs meanwhile), and the answer is the re-queued one.
  const message = yield* tx.getMessage(r.id)
  if (!message) throw new Error(`message ${r.id} vanished inside its retry`)
  return { ok: true, message }
}
