/**
 * App-webhook events (DESIGN §6): `{id, type, created_at, data}`, addressed to every configured
 * webhook whose `events` list has the type (or `*`). They are returned as rows for the store to queue
 * in the same transaction as the change they report, so an event is never lost nor invented.
 */
import type { ResolvedConfig } from './config/types.js'
import { newId } from './ids.js'
import type { NewEvent } from '../store/types.js'

export type EventType =
  | 'message.inbound'
  | 'message.status'
  | 'message.undelivered'
  | 'thread.opened'
  | 'thread.closed'
  | 'thread.assigned'
  | 'thread.snoozed'
  | 'bulk.done'
  | 'contact.opted_out'
  | 'contact.opted_in'
  | 'contact.merged'
  | 'automation.skipped'

export type EventFactory = (
  type: EventType,
  data: Record<string, unknown>,
  at: string,
) => NewEvent[]

export function eventFactory(config: () => ResolvedConfig): EventFactory {
  return (type, data, at) => {
    const targets = config()
      .webhooks.filter((w) => w.events.includes(type) || w.events.includes('*'))
      .map((w) => w.url)
    if (targets.length === 0) return []
    return [{ id: newId('ev'), type, created_at: at, data, targets }]
  }
}
