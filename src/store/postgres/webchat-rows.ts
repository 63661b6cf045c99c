/**
 * Web chat reads and fallback timers on PostgreSQL (migration 12), as the SQLite dialect's
 * `webchat-repo.ts`.
 */
import { toFallback, type FallbackRow } from '../sqlite/webchat-repo.js'
import type { FallbackRecord, FallbackTimer, MessageRecord, WebchatRepo } from '../types.js'
import type { Sql } from './exec.js'
import { hydrate } from './message-reads.js'
import type { PgMessageRow } from './rows.js'

const HISTORY = `SELECT * FROM messages WHERE contact_id = $1 AND channel = $2
  AND ($3::text IS NULL OR id < $3) ORDER BY id DESC LIMIT $4`
const SINCE = `SELECT * FROM messages WHERE contact_id = $1 AND channel = $2 AND id > $3
  ORDER BY id LIMIT $4`
const UNDELIVERED = `SELECT * FROM messages WHERE contact_id = $1 AND channel = $2
  AND direction = 'out' AND status = 'sent' ORDER BY id LIMIT $3`
const SCHEDULE = `INSERT INTO webchat_fallback_timers (message_id, kind, channel, contact_id, due_at)
  VALUES ($1, $2, $3, $4, $5) ON CONFLICT (message_id, kind) DO NOTHING`
const DUE = `SELECT message_id, kind, channel, contact_id, due_at FROM webchat_fallback_timers
  WHERE due_at <= $1 ORDER BY due_at LIMIT $2`
const DONE = `DELETE FROM webchat_fallback_timers WHERE message_id = $1 AND kind = $2`
const RECORD = `INSERT INTO message_fallbacks
  (message_id, kind, at, fallback_message_id, error_code, error_message)
  VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id, kind) DO NOTHING`
const CANCEL = `DELETE FROM webchat_fallback_timers WHERE message_id = $1`
const RECORDS = `SELECT kind, at, fallback_message_id, error_code, error_message
  FROM message_fallbacks WHERE message_id = $1 ORDER BY at, kind DESC`

/** `transaction` runs its function in one transaction (the timer's removal and its record). */
export function webchatRows(
  sql: Sql,
  transaction: <T>(fn: (s: Sql) => Promise<T>) => Promise<T>,
): WebchatRepo {
  const messages = async (text: string, params: unknown[]): Promise<MessageRecord[]> =>
    hydrate(sql, await sql.rows<PgMessageRow>(text, params))
  return {
    history: (contactId, channel, before, limit) =>
      messages(HISTORY, [contactId, channel, before, limit]),
    since: (contactId, channel, after, limit) =>
      messages(SINCE, [contactId, channel, after, limit]),
    undelivered: (contactId, channel, limit) => messages(UNDELIVERED, [contactId, channel, limit]),
    async schedule(timers: readonly FallbackTimer[]) {
      for (const t of timers)
        await sql.run(SCHEDULE, [t.message_id, t.kind, t.channel, t.contact_id, t.due_at])
    },
    due: (now, limit) => sql.rows<FallbackTimer>(DUE, [now, limit]),
    done: (t, r: FallbackRecord | null) =>
      transaction(async (s) => {
        await s.run(DONE, [t.message_id, t.kind])
        if (r === null) return
        await s.run(RECORD, [
          t.message_id,
          r.kind,
          r.at,
          r.message_id,
          r.error?.code ?? null,
          r.error?.message ?? null,
        ])
      }),
    cancel: (messageId) => sql.run(CANCEL, [messageId]),
    fallbacks: async (messageId) =>
      (await sql.rows<FallbackRow>(RECORDS, [messageId])).map(toFallback),
  }
}
