/**
 * Builders of live events. The app-webhook `EventFactory` returns nothing when no webhook wants a
 * type, yet the live stream needs every event: `recordEvents()` wraps the factory so the store
 * still queues exactly what it did, while every event asked for is kept for `publish` after commit.
 */
import type { EventFactory, EventType } from '../events.js'
import { newId } from '../ids.js'
import type { BulkRecord, ThreadRecord } from '../../store/types.js'
import type { LiveEvent } from './bus.js'

/** The types the live stream carries: the app-webhook ones plus thread tags and bulk progress. */
export type LiveEventType =
  | EventType
  | 'thread.tagged'
  | 'bulk.progress'
  /** A visitor opened the web chat widget (DESIGN §12): `{contact_id, channel, thread_id, first_visit}`. */
  | 'webchat.opened'
  /** Someone is typing in a web chat: `{contact_id, channel, thread_id, from: visitor|agent, agent?}`. */
  | 'webchat.typing'

/** One live event, with a fresh id. */
export function liveEvent(
  type: LiveEventType,
  data: Record<string, unknown>,
  at: string,
): LiveEvent {
  return { id: newId('ev'), type, created_at: at, data }
}

/**
 * A thread changed (opened, closed, snoozed, assigned, tagged): its state after the change, so a
 * console can update a list row without reading the thread again.
 */
export function threadEvent(
  type: Extract<LiveEventType, `thread.${string}`>,
  t: ThreadRecord,
  by: string | null,
  at: string,
): LiveEvent[] {
  return [
    liveEvent(
      type,
      {
        thread_id: t.id,
        contact_id: t.contact_id,
        channel: t.channel,
        status: t.status,
        assignee: t.assignee,
        tags: t.tags,
        snoozed_until: t.snoozed_until,
        by,
      },
      at,
    ),
  ]
}

/** A bulk moved on (a chunk enqueued) or finished: its figures, for a progress bar. */
export function bulkEvent(
  type: 'bulk.progress' | 'bulk.done',
  b: BulkRecord,
  at: string,
): LiveEvent[] {
  const { id, channel, status, total, checked, eligible, skipped } = b
  return [liveEvent(type, { bulk_id: id, channel, status, total, checked, eligible, skipped }, at)]
}

/**
 * Wraps an event factory: `events` answers exactly as `factory` does (what the store queues for
 * app webhooks is unchanged), and `taken()` returns every event it was asked for, webhook or not,
 * with the webhook row's id when there is one — to publish once the store call has returned.
 */
export function recordEvents(factory: EventFactory): {
  events: EventFactory
  taken(): LiveEvent[]
} {
  const seen: LiveEvent[] = []
  return {
    events: (type, data, at) => {
      const rows = factory(type, data, at)
      seen.push({ id: rows[0]?.id ?? newId('ev'), type, created_at: at, data })
      return rows
    },
    taken: () => [...seen],
  }
}
