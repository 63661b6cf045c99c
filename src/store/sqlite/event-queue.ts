/**
 * Queues app-webhook events in `webhook_outbox`, one row per target URL, inside the caller's
 * transaction: an event exists exactly when the change it reports was committed.
 */
import type { NewEvent } from '../types.js'
import type { Executor } from './executor.js'

const INSERT = `INSERT INTO webhook_outbox (event_id, target, payload, due_at) VALUES (?, ?, ?, ?)`

export class EventQueue {
  constructor(private readonly x: Executor) {}

  /** One delivery per (event, target); the payload is the body to sign. */
  enqueue(events: readonly NewEvent[] | undefined): void {
    if (!events) return
    for (const e of events) {
      if (e.targets.length === 0) continue
      const payload = JSON.stringify({
        id: e.id,
        type: e.type,
        created_at: e.created_at,
        data: e.data,
      })
      const dueAt = Date.parse(e.created_at) || 0
      for (const url of new Set(e.targets)) {
        this.x.stmt(INSERT).run(e.id, url, payload, dueAt)
      }
    }
  }
}
