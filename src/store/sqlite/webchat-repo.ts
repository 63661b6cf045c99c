/**
 * Web chat reads and fallback timers on SQLite (migration 12): a visitor's conversation on one
 * channel by message id (ids are ULIDs, so id order is time order), and the timers' rows.
 */
import type { FallbackRecord, FallbackTimer, MessageRecord } from '../types.js'
import type { Executor } from './executor.js'
import type { MessageRepo } from './message-repo.js'
import type { MessageRow } from './schema.js'

const HISTORY = `SELECT * FROM messages WHERE contact_id = ? AND channel = ? AND id < ?
  ORDER BY id DESC LIMIT ?`
const SINCE = `SELECT * FROM messages WHERE contact_id = ? AND channel = ? AND id > ?
  ORDER BY id LIMIT ?`
const UNDELIVERED = `SELECT * FROM messages WHERE contact_id = ? AND channel = ? AND id > ''
  AND direction = 'out' AND status = 'sent' ORDER BY id LIMIT ?`
const SCHEDULE = `INSERT INTO webchat_fallback_timers (message_id, kind, channel, contact_id, due_at)
  VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id, kind) DO NOTHING`
const DUE = `SELECT message_id, kind, channel, contact_id, due_at FROM webchat_fallback_timers
  WHERE due_at <= ? ORDER BY due_at LIMIT ?`
const DONE = `DELETE FROM webchat_fallback_timers WHERE message_id = ? AND kind = ?`
const RECORD = `INSERT INTO message_fallbacks
  (message_id, kind, at, fallback_message_id, error_code, error_message) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (message_id, kind) DO NOTHING`
const CANCEL = `DELETE FROM webchat_fallback_timers WHERE message_id = ?`
const RECORDS = `SELECT kind, at, fallback_message_id, error_code, error_message
  FROM message_fallbacks WHERE message_id = ? ORDER BY at, kind DESC`

/** A `message_fallbacks` row, as both dialects read it. */
export interface FallbackRow {
  kind: 'push' | 'email'
  at: string
  fallback_message_id: string | null
  error_code: string | null
  error_message: string | null
}

export function toFallback(r: FallbackRow): FallbackRecord {
  return {
    kind: r.kind,
    at: r.at,
    message_id: r.fallback_message_id,
    error: r.error_code === null ? null : { code: r.error_code, message: r.error_message ?? '' },
  }
}

/** Highest possible id: `before: null` pages from the newest message. */
const AFTER_ALL_IDS = '\uffff'

export class WebchatRepo {
  constructor(
    private readonly x: Executor,
    private readonly messages: MessageRepo,
  ) {}

  history(
    contactId: string,
    channel: string,
    before: string | null,
    limit: number,
  ): MessageRecord[] {
    const rows = this.x
      .stmt(HISTORY)
      .all(contactId, channel, before ?? AFTER_ALL_IDS, limit) as MessageRow[]
    return this.messages.hydrate(rows)
  }

  since(contactId: string, channel: string, after: string, limit: number): MessageRecord[] {
    const rows = this.x.stmt(SINCE).all(contactId, channel, after, limit) as MessageRow[]
    return this.messages.hydrate(rows)
  }

  undelivered(contactId: string, channel: string, limit: number): MessageRecord[] {
    const rows = this.x.stmt(UNDELIVERED).all(contactId, channel, limit) as MessageRow[]
    return this.messages.hydrate(rows)
  }

  schedule(timers: readonly FallbackTimer[]): void {
    for (const t of timers)
      this.x.stmt(SCHEDULE).run(t.message_id, t.kind, t.channel, t.contact_id, t.due_at)
  }

  due(now: string, limit: number): FallbackTimer[] {
    return this.x.stmt(DUE).all(now, limit) as FallbackTimer[]
  }

  done(t: Pick<FallbackTimer, 'message_id' | 'kind'>, r: FallbackRecord | null): void {
    this.x.stmt(DONE).run(t.message_id, t.kind)
    if (r === null) return
    this.x
      .stmt(RECORD)
      .run(
        t.message_id,
        r.kind,
        r.at,
        r.message_id,
        r.error?.code ?? null,
        r.error?.message ?? null,
      )
  }

  cancel(messageId: string): number {
    return this.x.stmt(CANCEL).run(messageId).changes
  }

  fallbacks(messageId: string): FallbackRecord[] {
    return (this.x.stmt(RECORDS).all(messageId) as FallbackRow[]).map(toFallback)
  }
}
