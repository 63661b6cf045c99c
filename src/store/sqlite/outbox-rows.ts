/**
 * Outbox writes of the transaction port (DESIGN §8 hot path): one prepared statement per step,
 * the status moves guarded in SQL by the core's forward-only rule (status-sql.ts).
 */
import type { OutboxInsert } from '../core/port.js'
import type { MessageError } from '../types.js'
import type { Executor } from './executor.js'
import { fromStatuses } from './status-sql.js'

/** Outbox priorities, leased in this order: a bulk never holds up a single send that is due. */
export const PRIORITY = { single: 0, bulk: 1 } as const

const INSERT = `INSERT INTO outbox (message_id, channel, recipient_key, due_at, priority)
  VALUES (?, ?, ?, ?, ?)`
const DELETE_JOB = `DELETE FROM outbox WHERE job_id = ?`
const SENT = `UPDATE messages SET
    status = CASE WHEN status IN (${fromStatuses('sent')}) THEN 'sent' ELSE status END,
    sent_at = coalesce(sent_at, ?), platform_message_id = coalesce(?, platform_message_id),
    attempts = attempts + 1, possible_duplicate = max(possible_duplicate, ?),
    error_code = NULL, error_message = NULL
  WHERE id = ?`
// A status report may have moved the message past `sent` already; failed never overrides that.
const FAILABLE = `status IN (${fromStatuses('failed')})`
const FAILED = `UPDATE messages SET
    failed_at = CASE WHEN ${FAILABLE} THEN @at ELSE failed_at END,
    error_code = CASE WHEN ${FAILABLE} THEN @code ELSE error_code END,
    error_message = CASE WHEN ${FAILABLE} THEN @message ELSE error_message END,
    status = CASE WHEN ${FAILABLE} THEN 'failed' ELSE status END,
    attempts = attempts + 1
  WHERE id = @id`
const RETRY_JOB = `UPDATE outbox SET due_at = ?, lease_until = 0, attempts = attempts + 1
  WHERE job_id = ?`
// The message keeps its status (never backwards) and carries the last error until a final outcome.
const RETRY_MESSAGE = `UPDATE messages SET attempts = attempts + 1,
  error_code = ?, error_message = ?, possible_duplicate = max(possible_duplicate, ?) WHERE id = ?`
const RELEASE = `UPDATE outbox SET due_at = ?, lease_until = 0 WHERE job_id = ?`
const CANCEL_QUEUED = `DELETE FROM outbox WHERE message_id = ? AND lease_until <= ?`
const CANCELLED = `UPDATE messages SET status = 'cancelled', cancelled_at = ?
  WHERE id = ? AND status IN (${fromStatuses('cancelled')})`

export class OutboxRows {
  constructor(private readonly x: Executor) {}

  insert(j: OutboxInsert): void {
    this.x.stmt(INSERT).run(j.messageId, j.channel, j.recipientKey, j.dueAt, PRIORITY[j.priority])
  }

  complete(c: {
    jobId: number
    messageId: string
    at: string
    platformMessageId: string | null
    possibleDuplicate: boolean
  }): void {
    this.x.stmt(DELETE_JOB).run(c.jobId)
    this.x.stmt(SENT).run(c.at, c.platformMessageId, c.possibleDuplicate ? 1 : 0, c.messageId)
  }

  fail(c: { jobId: number; messageId: string; at: string; error: MessageError }): void {
    this.x.stmt(DELETE_JOB).run(c.jobId)
    this.x
      .stmt(FAILED)
      .run({ at: c.at, code: c.error.code, message: c.error.message, id: c.messageId })
  }

  retry(c: {
    jobId: number
    messageId: string
    dueAtMs: number
    error: MessageError
    possibleDuplicate: boolean
  }): void {
    this.x.stmt(RETRY_JOB).run(c.dueAtMs, c.jobId)
    this.x
      .stmt(RETRY_MESSAGE)
      .run(c.error.code, c.error.message, c.possibleDuplicate ? 1 : 0, c.messageId)
  }

  cancelLeased(jobId: number, messageId: string, at: string): void {
    this.x.stmt(DELETE_JOB).run(jobId)
    this.cancelMessage(messageId, at)
  }

  release(jobId: number, dueAtMs: number): void {
    this.x.stmt(RELEASE).run(dueAtMs, jobId)
  }

  cancelQueued(messageId: string, nowMs: number): boolean {
    return this.x.stmt(CANCEL_QUEUED).run(messageId, nowMs).changes > 0
  }

  cancelMessage(messageId: string, at: string): void {
    this.x.stmt(CANCELLED).run(at, messageId)
  }
}
