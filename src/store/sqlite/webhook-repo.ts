/**
 * The app-event queue (DESIGN §6 app webhooks): rows written by EventQueue in the transaction of
 * each change, leased in batches like the send queue (an expired lease is due again).
 */
import type { WebhookDelivery, WebhookOutcome } from '../types.js'
import type { Executor } from './executor.js'

export const WEBHOOK_LEASE_SQL = `UPDATE webhook_outbox SET lease_until = ? WHERE id IN (
    SELECT id FROM webhook_outbox WHERE max(due_at, lease_until) <= ?
    ORDER BY max(due_at, lease_until) LIMIT ?)
  RETURNING id, event_id AS eventId, target, payload, attempts, due_at AS dueAt`
const DONE = `DELETE FROM webhook_outbox WHERE id = ?`
const RETRY = `UPDATE webhook_outbox SET due_at = ?, lease_until = 0, attempts = attempts + 1
  WHERE id = ?`
const DEPTH = `SELECT count(*) AS n FROM webhook_outbox`

export class WebhookRepo {
  constructor(private readonly x: Executor) {}

  lease(nowMs: number, limit: number, leaseMs: number): WebhookDelivery[] {
    const rows = this.x
      .stmt(WEBHOOK_LEASE_SQL)
      .all(nowMs + leaseMs, nowMs, limit) as (WebhookDelivery & { dueAt: number })[]
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
  record(outcomes: readonly WebhookOutcome[]): void {
    for (const o of outcomes) {
      // Given up (`failed`) drops the delivery like `done`: the worker logs it with the event id.
      if (o.kind === 'retry') this.x.stmt(RETRY).run(o.dueAtMs, o.id)
      else this.x.stmt(DONE).run(o.id)
    }
  }

  depth(): number {
    return (this.x.stmt(DEPTH).get() as { n: number }).n
  }
}
