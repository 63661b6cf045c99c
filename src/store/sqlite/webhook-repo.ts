/**
 * The app-event queue (DESIGN §6 app webhooks): rows written by EventQueue in the transaction of
 * each change, leased in batches like the send queue (an expired lease is due again).
 */
import type { Store, WebhookDelivery } from '../types.js'
import type { Executor } from './executor.js'

type WebhooksApi = Store['webhooks']

export const WEBHOOK_LEASE_SQL = `UPDATE webhook_outbox SET lease_until = ? WHERE id IN (
    SELECT id FROM webhook_outbox WHERE max(due_at, lease_until) <= ?
    ORDER BY max(due_at, lease_until) LIMIT ?)
  RETURNING id, event_id AS eventId, target, payload, attempts, due_at AS dueAt`
const DONE = `DELETE FROM webhook_outbox WHERE id = ?`
const RETRY = `UPDATE webhook_outbox SET due_at = ?, lease_until = 0, attempts = attempts + 1
  WHERE id = ?`
const DEPTH = `SELECT count(*) AS n FROM webhook_outbox`

export class WebhookRepo implements WebhooksApi {
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

  done(id: number): void {
    this.x.stmt(DONE).run(id)
  }

  retry(id: number, dueAtMs: number): void {
    this.x.stmt(RETRY).run(dueAtMs, id)
  }

  /** Given up: the delivery is dropped (the dispatcher logs it with the event id). */
  fail(id: number): void {
    this.x.stmt(DONE).run(id)
  }

  depth(): number {
    return (this.x.stmt(DEPTH).get() as { n: number }).n
  }
}
