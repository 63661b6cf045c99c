/**
 * Message reads on PostgreSQL, as the SQLite dialect's: one, a thread's page (oldest first,
 * cursor on seq), the platform id lookup, email ids, the WhatsApp pacing count, the ack watchdog's
 * list, and a contact's timeline (messages and thread events merged by time, kind and seq, with
 * the same cursor shape). Attachments come in one query per page.
 */
import { decodeCursor, encodeCursor, seqCursor } from '../sqlite/cursor.js'
import type { AttachmentRecord, MessageRecord, Page, TimelineItem } from '../types.js'
import type { Sql } from './exec.js'
import { ATTACHMENT_COLUMNS, toAttachment, toEvent, toMessage } from './rows.js'
import type { PgMessageRow, PgThreadEventRow } from './rows.js'

const GET = `SELECT * FROM messages WHERE id = $1`
const BY_THREAD = `SELECT * FROM messages WHERE thread_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`
// An outbound one first (status updates look it up).
const BY_PLATFORM_ID = `SELECT * FROM messages WHERE channel = $1 AND platform_message_id = $2
  ORDER BY direction DESC LIMIT 1`
const EMAIL_IDS = `SELECT coalesce(email_message_id, platform_message_id) AS mid FROM messages
  WHERE thread_id = $1 AND email IS NOT NULL ORDER BY seq`
const UNREPLIED = `SELECT count(DISTINCT m.address) AS n FROM messages m
  WHERE m.channel = $1 AND m.direction = 'out' AND m.created_at >= $2 AND m.status <> 'cancelled'
    AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.channel = m.channel
      AND i.address = m.address AND i.first_inbound_at IS NOT NULL)`
// On the partial index messages_awaiting_ack (its WHERE repeated so it applies).
const AWAITING_ACK = `SELECT * FROM messages
  WHERE channel = $1 AND status = 'sent' AND undelivered_after IS NULL AND sent_at <= $2
    AND direction = 'out'
  ORDER BY sent_at LIMIT $3`
/** The attachments of the messages `$1` (ids), in order: for `attach`. */
export const ATTACHMENTS_OF = `SELECT message_id AS owner, ${ATTACHMENT_COLUMNS} FROM attachments
  WHERE message_id = ANY($1) ORDER BY seq`
const ATTACHMENT = `SELECT ${ATTACHMENT_COLUMNS} FROM attachments WHERE id = $1`
const TIMELINE_MESSAGES = `SELECT * FROM messages WHERE contact_id = $1
  AND (created_at > $2 OR (created_at = $2 AND seq > $3)) ORDER BY created_at, seq LIMIT $4`
const TIMELINE_EVENTS = `SELECT * FROM thread_events WHERE contact_id = $1
  AND (at > $2 OR (at = $2 AND seq > $3)) ORDER BY at, seq LIMIT $4`

export async function getMessage(sql: Sql, id: string): Promise<MessageRecord | null> {
  const rows = await hydrate(sql, await sql.rows<PgMessageRow>(GET, [id]))
  return rows[0] ?? null
}

export async function listByThread(
  sql: Sql,
  threadId: string,
  limit: number,
  cursor?: string,
): Promise<Page<MessageRecord>> {
  const after = seqCursor(cursor)
  if (after === null) return { items: [], next_cursor: null }
  const rows = await sql.rows<PgMessageRow>(BY_THREAD, [threadId, after ?? 0, limit + 1])
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  return {
    items: await hydrate(sql, page),
    next_cursor: rows.length > limit && last ? encodeCursor(last.seq) : null,
  }
}

export async function findByPlatformId(
  sql: Sql,
  channel: string,
  platformMessageId: string,
): Promise<MessageRecord | null> {
  const rows = await sql.rows<PgMessageRow>(BY_PLATFORM_ID, [channel, platformMessageId])
  return (await hydrate(sql, rows))[0] ?? null
}

export async function emailIds(sql: Sql, threadId: string): Promise<string[]> {
  const rows = await sql.rows<{ mid: string | null }>(EMAIL_IDS, [threadId])
  return rows.flatMap((r) => (r.mid ? [r.mid] : []))
}

export async function countUnrepliedSince(
  sql: Sql,
  channel: string,
  since: string,
): Promise<number> {
  return (await sql.one<{ n: number }>(UNREPLIED, [channel, since]))?.n ?? 0
}

export async function listAwaitingAck(
  sql: Sql,
  channel: string,
  sentBefore: string,
  limit: number,
): Promise<MessageRecord[]> {
  return hydrate(sql, await sql.rows<PgMessageRow>(AWAITING_ACK, [channel, sentBefore, limit]))
}

export async function getAttachment(sql: Sql, id: string): Promise<AttachmentRecord | null> {
  const row = await sql.one<AttachmentRecord>(ATTACHMENT, [id])
  return row ? toAttachment(row) : null
}

export async function hydrate(sql: Sql, rows: readonly PgMessageRow[]): Promise<MessageRecord[]> {
  if (rows.length === 0) return []
  const found = await sql.rows<AttachmentRow>(ATTACHMENTS_OF, [rows.map((r) => r.id)])
  return attach(rows, found)
}

/** An attachment row of `ATTACHMENTS_OF`: `owner` is its message. */
export type AttachmentRow = AttachmentRecord & { owner: string }

/** Rows → records with the attachments `found` (the rows of `ATTACHMENTS_OF` for them). */
export function attach(
  rows: readonly PgMessageRow[],
  found: readonly AttachmentRow[],
): MessageRecord[] {
  const atts = new Map<string, AttachmentRecord[]>()
  for (const { owner, ...a } of found)
    atts.set(owner, [...(atts.get(owner) ?? []), toAttachment(a)])
  return rows.map((r) => toMessage(r, atts.get(r.id) ?? []))
}

/** Position after an item: its time, kind (0 event, 1 message) and seq (as SQLite's cursor). */
interface Position {
  at: string
  k: 0 | 1
  s: number
}

function isPosition(v: unknown): v is Position {
  if (v === null || typeof v !== 'object') return false
  const p = v as Record<string, unknown>
  return typeof p.at === 'string' && (p.k === 0 || p.k === 1) && Number.isSafeInteger(p.s)
}

/**
 * A contact's timeline, oldest first; at equal times an event sorts before a message (a thread is
 * opened, then the message in it). Two indexed range reads from the cursor, merged in memory.
 */
export async function timeline(
  sql: Sql,
  contactId: string,
  limit: number,
  cursor?: string,
): Promise<Page<TimelineItem>> {
  const after = cursor ? decodeCursor(cursor, isPosition) : undefined
  if (after === null) return { items: [], next_cursor: null }
  // From the start: every row is after ('', event, 0). After an event at t: messages at t count;
  // after a message at t: only later messages at t (its seq) and no more events at t.
  const at = after?.at ?? ''
  const messageSeq = !after || after.k === 0 ? -1 : after.s
  const eventSeq = !after ? -1 : after.k === 0 ? after.s : Number.MAX_SAFE_INTEGER
  const [messages, events] = [
    await sql.rows<PgMessageRow>(TIMELINE_MESSAGES, [contactId, at, messageSeq, limit + 1]),
    await sql.rows<PgThreadEventRow>(TIMELINE_EVENTS, [contactId, at, eventSeq, limit + 1]),
  ]
  const merged: { pos: Position; row: PgMessageRow | PgThreadEventRow }[] = [
    ...events.map((row) => ({ pos: { at: row.at, k: 0 as const, s: row.seq }, row })),
    ...messages.map((row) => ({ pos: { at: row.created_at, k: 1 as const, s: row.seq }, row })),
  ].sort((a, b) => compare(a.pos, b.pos))
  const page = merged.slice(0, limit)
  const records = await hydrate(
    sql,
    page.filter((e) => e.pos.k === 1).map((e) => e.row as PgMessageRow),
  )
  const byId = new Map(records.map((m) => [m.id, m]))
  const items: TimelineItem[] = page.map(({ pos, row }) => {
    if (pos.k === 0) return { kind: 'event', at: pos.at, event: toEvent(row as PgThreadEventRow) }
    const message = byId.get(row.id)
    if (!message) throw new Error(`message ${row.id} missing from its own page`)
    return { kind: 'message', at: pos.at, message }
  })
  const last = page[page.length - 1]
  return { items, next_cursor: merged.length > limit && last ? encodeCursor(last.pos) : null }
}

function compare(a: Position, b: Position): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1
  if (a.k !== b.k) return a.k - b.k
  return a.s - b.s
}
