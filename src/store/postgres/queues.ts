/**
 * The send queue and the app-event queue on PostgreSQL (DESIGN §10): several daemons lease from
 * one table. A job is leasable when greatest(due_at, lease_until) <= now, so a lease that expires
 * (its daemon was killed mid-send) is simply due again for anyone. Each lease is one statement
 * per priority: pick a batch on the outbox_ready index with `FOR UPDATE SKIP LOCKED` (two daemons
 * leasing at once take different rows and never wait on each other) and stamp the lease, in the
 * transaction that marks the messages `sending`.
 */
import type { OutboxJob, WebhookDelivery, WebhookOutcome } from '../types.js'
import type { Sql } from './exec.js'
import { PRIORITY, fromStatuses } from './message-rows.js'

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
const MARK_SENDING = `UPDATE messages SET status = 'sending', sending_at = coalesce(sending_at, $1)
  WHERE id = ANY($2) AND status IN (${fromStatuses('sending')})`
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

/** Call inside a transaction: the lease and the `sending` marks commit together. */
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
  if (jobs.length > 0) {
    const at = new Date(nowMs).toISOString()
    await sql.run(MARK_SENDING, [at, jobs.map((j) => j.messageId)])
  }
  return jobs
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
  // Given up (`failed`) drops the delivery like `done`: the worker logs it with the event id.
  const gone = outcomes.filter((o) => o.kind !== 'retry').map((o) => o.id)
  if (gone.length > 0) await sql.run(WEBHOOK_DONE, [gone])
  for (const o of outcomes) if (o.kind === 'retry') await sql.run(WEBHOOK_RETRY, [o.id, o.dueAtMs])
}

export async function webhookDepth(sql: Sql): Promise<number> {
  return (await sql.one<{ n: number }>(WEBHOOK_DEPTH))?.n ?? 0
}
