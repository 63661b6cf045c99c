/**
 * The send queue (DESIGN §2, §8). A job is leasable when max(due_at, lease_until) <= now, so an
 * expired lease is simply due again: no recovery scan at start-up, and one index (outbox_ready)
 * serves both. Leasing is one UPDATE … RETURNING for a batch per priority (single sends first).
 * Prepared statements, one transaction per call.
 */
import type { MessageError, OutboxCompletion, OutboxJob, Store } from '../types.js'
import type { EventQueue } from './event-queue.js'
import type { Executor } from './executor.js'

type OutboxApi = Store['outbox']

/** Outbox priorities, leased in this order: a bulk never holds up a single send that is due. */
export const PRIORITY = { single: 0, bulk: 1 } as const
const LEASE_ORDER = [PRIORITY.single, PRIORITY.bulk]

/**
 * One priority's due jobs (one range of outbox_ready); run per priority, in LEASE_ORDER. Only bulk
 * jobs look up their message's bulk id (one index probe each; single sends never have one): the
 * dispatcher checks it against the cancelled bulks right before each send.
 */
export const LEASE_SQL = `UPDATE outbox SET lease_until = ? WHERE job_id IN (
    SELECT job_id FROM outbox WHERE priority = ? AND max(due_at, lease_until) <= ?
    ORDER BY max(due_at, lease_until) LIMIT ?)
  RETURNING job_id AS jobId, message_id AS messageId, channel, recipient_key AS recipientKey,
    attempts, due_at AS dueAt,
    CASE WHEN priority = ${PRIORITY.bulk} THEN
      (SELECT bulk_id FROM messages WHERE messages.id = outbox.message_id) END AS bulkId`
// Marked here rather than by the dispatcher: saves a write per message. The first time is kept.
const MARK_SENDING = `UPDATE messages SET status = 'sending', sending_at = coalesce(sending_at, ?)
  WHERE id = ? AND status = 'queued'`
const DELETE_JOB = `DELETE FROM outbox WHERE job_id = ?`
const SENT = `UPDATE messages SET
    status = CASE WHEN status IN ('queued', 'sending') THEN 'sent' ELSE status END,
    sent_at = coalesce(sent_at, ?), platform_message_id = coalesce(?, platform_message_id),
    attempts = attempts + 1, possible_duplicate = max(possible_duplicate, ?),
    error_code = NULL, error_message = NULL
  WHERE id = ?`
// A status report may have moved the message past `sent` already; failed never overrides that.
const FAILED = `UPDATE messages SET
    failed_at = CASE WHEN status IN ('queued', 'sending', 'sent') THEN @at ELSE failed_at END,
    error_code = CASE WHEN status IN ('queued', 'sending', 'sent') THEN @code ELSE error_code END,
    error_message = CASE WHEN status IN ('queued', 'sending', 'sent') THEN @message
      ELSE error_message END,
    status = CASE WHEN status IN ('queued', 'sending', 'sent') THEN 'failed' ELSE status END,
    attempts = attempts + 1
  WHERE id = @id`
const RETRY_JOB = `UPDATE outbox SET due_at = ?, lease_until = 0, attempts = attempts + 1
  WHERE job_id = ?`
// The message keeps its status (never backwards) and carries the last error until a final outcome.
const RETRY_MESSAGE = `UPDATE messages SET attempts = attempts + 1,
  error_code = ?, error_message = ?, possible_duplicate = max(possible_duplicate, ?) WHERE id = ?`
const RELEASE = `UPDATE outbox SET due_at = ?, lease_until = 0 WHERE job_id = ?`
const CANCEL_JOB = `DELETE FROM outbox WHERE message_id = ? AND lease_until <= ?`
const CANCELLED = `UPDATE messages SET status = 'cancelled', cancelled_at = ?
  WHERE id = ? AND status IN ('queued', 'sending')`
const DEPTH = `SELECT count(*) AS n FROM outbox`
export const NEXT_DUE_SQL = `SELECT min(t) AS t FROM (
    SELECT * FROM (SELECT max(due_at, lease_until) AS t FROM outbox WHERE priority = 0
      ORDER BY max(due_at, lease_until) LIMIT 1)
    UNION ALL
    SELECT * FROM (SELECT max(due_at, lease_until) AS t FROM outbox WHERE priority = 1
      ORDER BY max(due_at, lease_until) LIMIT 1))`

export class OutboxRepo implements OutboxApi {
  constructor(
    private readonly x: Executor,
    private readonly queue: EventQueue,
  ) {}

  lease(nowMs: number, limit: number, leaseMs: number): OutboxJob[] {
    return this.x.tx(() => {
      const jobs: OutboxJob[] = []
      for (const priority of LEASE_ORDER) {
        if (jobs.length >= limit) break
        const got = this.x
          .stmt(LEASE_SQL)
          .all(nowMs + leaseMs, priority, nowMs, limit - jobs.length) as OutboxJob[]
        jobs.push(...got.sort((a, b) => a.dueAt - b.dueAt || a.jobId - b.jobId))
      }
      const at = new Date(nowMs).toISOString()
      for (const j of jobs) this.x.stmt(MARK_SENDING).run(at, j.messageId)
      return jobs
    })
  }

  complete(
    c: OutboxCompletion & { platformMessageId: string | null; possibleDuplicate: boolean },
  ): void {
    this.x.tx(() => {
      this.x.stmt(DELETE_JOB).run(c.jobId)
      this.x.stmt(SENT).run(c.at, c.platformMessageId, c.possibleDuplicate ? 1 : 0, c.messageId)
      this.queue.enqueue(c.events)
    })
  }

  fail(c: OutboxCompletion & { error: MessageError }): void {
    this.x.tx(() => {
      this.x.stmt(DELETE_JOB).run(c.jobId)
      this.x
        .stmt(FAILED)
        .run({ at: c.at, code: c.error.code, message: c.error.message, id: c.messageId })
      this.queue.enqueue(c.events)
    })
  }

  retry(
    jobId: number,
    messageId: string,
    dueAtMs: number,
    error: MessageError,
    possibleDuplicate: boolean,
  ): void {
    this.x.tx(() => {
      this.x.stmt(RETRY_JOB).run(dueAtMs, jobId)
      this.x
        .stmt(RETRY_MESSAGE)
        .run(error.code, error.message, possibleDuplicate ? 1 : 0, messageId)
    })
  }

  cancelLeased(jobId: number, messageId: string, at: string): void {
    this.x.tx(() => {
      this.x.stmt(DELETE_JOB).run(jobId)
      this.x.stmt(CANCELLED).run(at, messageId)
    })
  }

  release(jobId: number, dueAtMs: number): void {
    this.x.stmt(RELEASE).run(dueAtMs, jobId)
  }

  /** Jobs under a live lease are being sent and are left alone. */
  cancel(messageIds: string[], at: string): number {
    const nowMs = Date.parse(at)
    return this.x.tx(() => {
      let n = 0
      for (const id of new Set(messageIds)) {
        if (this.x.stmt(CANCEL_JOB).run(id, nowMs).changes === 0) continue
        this.x.stmt(CANCELLED).run(at, id)
        n++
      }
      return n
    })
  }

  depth(): number {
    return (this.x.stmt(DEPTH).get() as { n: number }).n
  }

  /** When the next job becomes leasable: its due time, or the end of its lease if one is live. */
  nextDue(): number | null {
    const row = this.x.stmt(NEXT_DUE_SQL).get() as { t: number | null } | undefined
    return row?.t ?? null
  }
}
