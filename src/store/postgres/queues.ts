/**
 * The send queue and the app-event queue on PostgreSQL (DESIGN §10): several daemons lease from
 * one table. A job is leasable when greatest(due_at, lease_until) <= now, so a lease that expires
 * (its daemon was killed mid-send) is simply due again for anyone. Each lease is one statement
 * per priority: pick a batch on the outbox_ready index with `FOR UPDATE SKIP LOCKED` (two daemons
 * leasing at once take different rows and never wait on each other) and stamp the lease, in the
 * transaction that marks the messages `sending` and reads them (with their attachments) for the
 * dispatcher.
 */
import { encodeCursor, seqCursor } from '../sqlite/cursor.js'
import type {
  ContactName,
  DeadLetter,
  OutboxJob,
  Page,
  WebhookDelivery,
  WebhookOutcome,
} from '../types.js'
import type { Sql } from './exec.js'
import { ATTACHMENTS_OF, attach, type AttachmentRow } from './message-reads.js'
import { PRIORITY, fromStatuses } from './message-rows.js'
import type { PgMessageRow } from './rows.js'

const LEASE_ORDER = [PRIORITY.single, PRIORITY.bulk]

// `channel <> ALL($5)`: the channels this daemon may not send (stateful ones another daemon owns,
// DESIGN §10), usually none. A filter on the outbox_ready range, not an index condition: the
// skipped channels' due jobs are passed over, and their owner drains them at its pace.
const LEASE = `WITH picked AS (
    SELECT job_id FROM outbox WHERE priority = $2 AND greatest(due_at, lease_until) <= $3
      AND channel <> ALL($5::text[])
    ORDER BY greatest(due_at, lease_until) LIMIT $4 FOR UPDATE SKIP LOCKED)
  UPDATE outbox o SET lease_until = $1 FROM picked WHERE o.job_id = picked.job_id
  RETURNING o.job_id AS "jobId", o.message_id AS "messageId", o.channel,
    o.recipient_key AS "recipientKey", o.attempts, o.due_at AS "dueAt",
    CASE WHEN o.priority = ${PRIORITY.bulk} THEN
      (SELECT bulk_id FROM messages m WHERE m.id = o.message_id) END AS "bulkId"`
// Marked here rather than by the dispatcher: saves a write per message. The first time is kept.
// Then the messages are read (marked or not: a retry, a lease that expired, is `sending`
// already): the dispatcher sends from them (OutboxJob.message), so a message is read once for its
// whole way through the dispatcher, in one statement for the batch.
const MARK_SENDING = `UPDATE messages SET status = 'sending', sending_at = coalesce(sending_at, $1)
  WHERE id = ANY($2) AND status IN (${fromStatuses('sending')})`
const MESSAGES = `SELECT * FROM messages WHERE id = ANY($1)`
// The names of the messages' contacts (for the payload).
const CONTACT_NAMES = `SELECT id, first_name, last_name FROM contacts
  WHERE id IN (SELECT contact_id FROM messages WHERE id = ANY($1))`
const DEPTH = `SELECT count(*) AS n FROM outbox`
const NEXT_DUE = `SELECT least(
    (SELECT greatest(due_at, lease_until) FROM outbox WHERE priority = 0
      AND channel <> ALL($1::text[]) ORDER BY greatest(due_at, lease_until) LIMIT 1),
    (SELECT greatest(due_at, lease_until) FROM outbox WHERE priority = 1
      AND channel <> ALL($1::text[]) ORDER BY greatest(due_at, lease_until) LIMIT 1)) AS t`

const WEBHOOK_LEASE = `WITH picked AS (
    SELECT id FROM webhook_outbox WHERE greatest(due_at, lease_until) <= $2
    ORDER BY greatest(due_at, lease_until) LIMIT $3 FOR UPDATE SKIP LOCKED)
  UPDATE webhook_outbox w SET lease_until = $1 FROM picked WHERE w.id = picked.id
  RETURNING w.id, w.event_id AS "eventId", w.target, w.payload, w.attempts, w.due_at AS "dueAt"`
const WEBHOOK_DONE = `DELETE FROM webhook_outbox WHERE id = ANY($1)`
const WEBHOOK_RETRY = `UPDATE webhook_outbox SET due_at = $2, lease_until = 0,
  attempts = attempts + 1 WHERE id = $1`
const WEBHOOK_DEPTH = `SELECT count(*) AS n FROM webhook_outbox`
// Migration 8: a delivery that used up its retries is kept as a dead letter (DESIGN §15).
const WEBHOOK_DEAD = `INSERT INTO webhook_dead_letters (event_id, target, payload, attempts,
    error, failed_at)
  SELECT event_id, target, payload, attempts + 1, $2, $3 FROM webhook_outbox WHERE id = $1`
const DEAD_COLUMNS = `id, event_id AS "eventId", target, payload, attempts, error,
  failed_at AS "failedAt"`
const DEAD_PAGE = `SELECT ${DEAD_COLUMNS} FROM webhook_dead_letters WHERE id < $1
  ORDER BY id DESC LIMIT $2`
const DEAD_TAKE = `DELETE FROM webhook_dead_letters WHERE id = $1 RETURNING ${DEAD_COLUMNS}`
const WEBHOOK_REQUEUE = `INSERT INTO webhook_outbox (event_id, target, payload, due_at)
  VALUES ($1, $2, $3, $4) RETURNING id`

/**
 * Call inside a transaction, as its only work: the lease and the `sending` marks commit together,
 * the COMMIT sent with the batch's reads.
 */
export async function leaseOutbox(
  sql: Sql,
  nowMs: number,
  limit: number,
  leaseMs: number,
  skip: readonly string[] = [],
): Promise<OutboxJob[]> {
  const jobs: OutboxJob[] = []
  for (const priority of LEASE_ORDER) {
    if (jobs.length >= limit) break
    const got = await sql.rows<OutboxJob>(LEASE, [
      nowMs + leaseMs,
      priority,
      nowMs,
      limit - jobs.length,
      skip,
    ])
    jobs.push(...got.sort((a, b) => a.dueAt - b.dueAt || a.jobId - b.jobId))
  }
  if (jobs.length === 0) return jobs
  const at = new Date(nowMs).toISOString()
  const ids = jobs.map((j) => j.messageId)
  // The marks, the messages as marked, their attachments and their contacts' names, and the
  // COMMIT: one round trip (run in order, each statement seeing the ones before it).
  const [, rows, found, names] = (await sql.manyAndCommit([
    [MARK_SENDING, [at, ids]],
    [MESSAGES, [ids]],
    [ATTACHMENTS_OF, [ids]],
    [CONTACT_NAMES, [ids]],
  ])) as [unknown[], PgMessageRow[], AttachmentRow[], (ContactName & { id: string })[]]
  const messages = new Map(attach(rows, found).map((m) => [m.id, m]))
  const nameOf = new Map(names.map(({ id, ...n }) => [id, n]))
  // A message that is gone (erased meanwhile) is null: the dispatcher fails its job.
  return jobs.map((j) => {
    const message = messages.get(j.messageId) ?? null
    return { ...j, message, contact: message ? (nameOf.get(message.contact_id) ?? null) : null }
  })
}

export async function outboxDepth(sql: Sql): Promise<number> {
  return (await sql.one<{ n: number }>(DEPTH))?.n ?? 0
}

/** When the next job becomes leasable: its due time, or the end of its lease if one is live. */
export async function outboxNextDue(
  sql: Sql,
  skip: readonly string[] = [],
): Promise<number | null> {
  return (await sql.one<{ t: number | null }>(NEXT_DUE, [skip]))?.t ?? null
}

export async function leaseWebhooks(
  sql: Sql,
  nowMs: number,
  limit: number,
  leaseMs: number,
): Promise<WebhookDelivery[]> {
  const rows = await sql.rows<WebhookDelivery & { dueAt: number }>(WEBHOOK_LEASE, [
    nowMs + leaseMs,
    nowMs,
    limit,
  ])
  return rows
    .sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)
    .map(({ id, eventId, target, payload, attempts }) => ({
      id,
      eventId,
      target,
      payload,
      attempts,
    }))
}

/** Call inside a transaction: the tick's outcomes commit together. */
export async function recordWebhooks(sql: Sql, outcomes: readonly WebhookOutcome[]): Promise<void> {
  for (const o of outcomes) {
    if (o.kind === 'failed') await sql.run(WEBHOOK_DEAD, [o.id, o.error, o.at])
  }
  const gone = outcomes.filter((o) => o.kind !== 'retry').map((o) => o.id)
  if (gone.length > 0) await sql.run(WEBHOOK_DONE, [gone])
  for (const o of outcomes) if (o.kind === 'retry') await sql.run(WEBHOOK_RETRY, [o.id, o.dueAtMs])
}

export async function webhookDepth(sql: Sql): Promise<number> {
  return (await sql.one<{ n: number }>(WEBHOOK_DEPTH))?.n ?? 0
}

/** Dead letters, newest first (`{items, next_cursor}` like every list). */
export async function deadLetters(
  sql: Sql,
  limit: number,
  cursor?: string,
): Promise<Page<DeadLetter>> {
  const before = seqCursor(cursor)
  if (before === null) return { items: [], next_cursor: null }
  const rows = await sql.rows<DeadLetter>(DEAD_PAGE, [before ?? Number.MAX_SAFE_INTEGER, limit + 1])
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  return { items, next_cursor: rows.length > limit && last ? encodeCursor(last.id) : null }
}

/** Call inside a transaction: the dead letter becomes a fresh delivery of the same event. */
export async function replayDeadLetter(
  sql: Sql,
  id: number,
  nowMs: number,
): Promise<{ deliveryId: number; eventId: string } | null> {
  const d = await sql.one<DeadLetter>(DEAD_TAKE, [id])
  if (!d) return null
  const row = await sql.one<{ id: number }>(WEBHOOK_REQUEUE, [
    d.eventId,
    d.target,
    d.payload,
    nowMs,
  ])
  return { deliveryId: row?.id ?? 0, eventId: d.eventId }
}
