/**
 * The app-event queue (DESIGN §6 app webhooks): rows written by EventQueue in the transaction of
 * each change, leased in batches like the send queue (an expired lease is due again). A delivery
 * that used up its retries moves to `webhook_dead_letters` (migration 8, DESIGN §15), under an
 * id of its own, to be listed and replayed.
 */
import type { DeadLetter, Page, WebhookDelivery, WebhookOutcome } from '../types.js'
import { encodeCursor, seqCursor } from './cursor.js'
import type { Executor } from './executor.js'

/** @internal exported for its tests */
export const WEBHOOK_LEASE_SQL = `UPDATE webhook_outbox SET lease_until = ? WHERE id IN (
    SELECT id FROM webhook_outbox WHERE max(due_at, lease_until) <= ?
    ORDER BY max(due_at, lease_until) LIMIT ?)
  RETURNING id, event_id AS eventId, target, payload, attempts, due_at AS dueAt`
const DONE = `DELETE FROM webhook_outbox WHERE id = ?`
const RETRY = `UPDATE webhook_outbox SET due_at = ?, lease_until = 0, attempts = attempts + 1
  WHERE id = ?`
const DEAD = `INSERT INTO webhook_dead_letters (event_id, target, payload, attempts, error,
    failed_at)
  SELECT event_id, target, payload, attempts + 1, ?, ? FROM webhook_outbox WHERE id = ?`
const DEPTH = `SELECT count(*) AS n FROM webhook_outbox`
const DEAD_COLUMNS = `id, event_id AS eventId, target, payload, attempts, error,
  failed_at AS failedAt`
const DEAD_PAGE = `SELECT ${DEAD_COLUMNS} FROM webhook_dead_letters WHERE id < ?
  ORDER BY id DESC LIMIT ?`
const DEAD_ONE = `SELECT ${DEAD_COLUMNS} FROM webhook_dead_letters WHERE id = ?`
const DEAD_DELETE = `DELETE FROM webhook_dead_letters WHERE id = ?`
const REQUEUE = `INSERT INTO webhook_outbox (event_id, target, payload, due_at) VALUES (?, ?, ?, ?)`

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
      if (o.kind === 'retry') this.x.stmt(RETRY).run(o.dueAtMs, o.id)
      else {
        if (o.kind === 'failed') this.x.stmt(DEAD).run(o.error, o.at, o.id)
        this.x.stmt(DONE).run(o.id)
      }
    }
  }

  depth(): number {
    return (this.x.stmt(DEPTH).get() as { n: number }).n
  }

  deadLetters(limit: number, cursor?: string): Page<DeadLetter> {
    const before = seqCursor(cursor)
    if (before === null) return { items: [], next_cursor: null }
    const rows = this.x
      .stmt(DEAD_PAGE)
      .all(before ?? Number.MAX_SAFE_INTEGER, limit + 1) as DeadLetter[]
    const items = rows.slice(0, limit)
    const last = items[items.length - 1]
    return { items, next_cursor: rows.length > limit && last ? encodeCursor(last.id) : null }
  }

  /** Call inside a transaction: the new delivery and the removal commit together. */
  replay(id: number, nowMs: number): { deliveryId: number; eventId: string } | null {
    const d = this.x.stmt(DEAD_ONE).get(id) as DeadLetter | undefined
    if (!d) return null
    const r = this.x.stmt(REQUEUE).run(d.eventId, d.target, d.payload, nowMs)
    this.x.stmt(DEAD_DELETE).run(id)
    return { deliveryId: Number(r.lastInsertRowid), eventId: d.eventId }
  }
}
