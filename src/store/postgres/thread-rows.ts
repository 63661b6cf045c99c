/**
 * Thread operations of the transaction port on PostgreSQL: reads by id and by contact, the
 * snoozed that are due, the reply match, writes of the row, its tags and its events.
 */
import type { ThreadEventInsert, ThreadInsert, ThreadState } from '../core/port.js'
import type { Sql } from './exec.js'
import type { PgThreadRow } from './rows.js'

export const THREAD_LOAD = `SELECT * FROM threads WHERE id = $1`
const ACTIVE = `SELECT * FROM threads WHERE contact_id = $1 AND status IN ('open', 'snoozed')
  ORDER BY seq DESC`
const ACTIVE_ON = `SELECT * FROM threads WHERE contact_id = $1 AND status IN ('open', 'snoozed')
  AND channel = $2 ORDER BY seq DESC`
// On the partial index threads_snoozed.
const DUE_SNOOZED = `SELECT * FROM threads WHERE status = 'snoozed' AND snoozed_until <= $1
  ORDER BY snoozed_until`
// The thread of the newest message of this contact on this channel that the reply refers to.
const REPLY_THREAD = `SELECT thread_id FROM messages
  WHERE contact_id = $1 AND channel = $2
    AND (platform_message_id = ANY($3) OR email_message_id = ANY($3))
  ORDER BY seq DESC LIMIT 1`
const TAGS = `SELECT tag FROM thread_tags WHERE thread_id = $1 ORDER BY tag`
const INSERT = `INSERT INTO threads (id, contact_id, channel, status, assignee, created_at,
    updated_at) VALUES ($1, $2, $3, 'open', $4, $5, $5)`
const SAVE = `UPDATE threads SET status = $2, assignee = $3, snoozed_until = $4, closed_at = $5,
  updated_at = $6 WHERE id = $1`
const TOUCH = `UPDATE threads SET updated_at = $2 WHERE id = $1`
const ADD_TAGS = `INSERT INTO thread_tags (thread_id, tag) SELECT $1, unnest($2::text[])
  ON CONFLICT DO NOTHING`
const DELETE_TAGS = `DELETE FROM thread_tags WHERE thread_id = $1 AND tag = ANY($2)`
const INSERT_EVENT = `INSERT INTO thread_events (id, thread_id, contact_id, type, actor, data, at)
  VALUES ($1, $2, $3, $4, $5, $6, $7)`

export async function loadThread(sql: Sql, id: string): Promise<ThreadState | null> {
  const row = await sql.one<PgThreadRow>(THREAD_LOAD, [id])
  return row ? threadState(row) : null
}

export async function activeThreads(
  sql: Sql,
  contactId: string,
  channel?: string,
): Promise<ThreadState[]> {
  const rows =
    channel === undefined
      ? await sql.rows<PgThreadRow>(ACTIVE, [contactId])
      : await sql.rows<PgThreadRow>(ACTIVE_ON, [contactId, channel])
  return rows.map(threadState)
}

export async function dueSnoozed(sql: Sql, now: string): Promise<ThreadState[]> {
  return (await sql.rows<PgThreadRow>(DUE_SNOOZED, [now])).map(threadState)
}

export async function replyThreadId(
  sql: Sql,
  contactId: string,
  channel: string,
  ids: readonly string[],
): Promise<string | null> {
  const hit = await sql.one<{ thread_id: string }>(REPLY_THREAD, [contactId, channel, [...ids]])
  return hit?.thread_id ?? null
}

export async function threadTags(sql: Sql, id: string): Promise<string[]> {
  return (await sql.rows<{ tag: string }>(TAGS, [id])).map((r) => r.tag)
}

export async function insertThread(sql: Sql, t: ThreadInsert, now: string): Promise<void> {
  await sql.run(INSERT, [t.id, t.contact_id, t.channel, t.assignee, now])
}

export async function saveThread(sql: Sql, t: ThreadState): Promise<void> {
  await sql.run(SAVE, [t.id, t.status, t.assignee, t.snoozed_until, t.closed_at, t.updated_at])
}

export async function touchThread(sql: Sql, id: string, now: string): Promise<void> {
  await sql.later(TOUCH, [id, now])
}

export async function addThreadTags(sql: Sql, id: string, tags: readonly string[]): Promise<void> {
  if (tags.length > 0) await sql.run(ADD_TAGS, [id, [...tags]])
}

export async function removeThreadTags(
  sql: Sql,
  id: string,
  tags: readonly string[],
): Promise<void> {
  if (tags.length > 0) await sql.run(DELETE_TAGS, [id, [...tags]])
}

export async function insertThreadEvent(sql: Sql, e: ThreadEventInsert): Promise<void> {
  await sql.later(INSERT_EVENT, [
    e.id,
    e.thread_id,
    e.contact_id,
    e.type,
    e.actor,
    JSON.stringify(e.data),
    e.at,
  ])
}

/** The row without `seq` (the core saves what it is given). */
export function threadState(r: PgThreadRow): ThreadState {
  return {
    id: r.id,
    contact_id: r.contact_id,
    channel: r.channel,
    status: r.status as ThreadState['status'],
    assignee: r.assignee,
    snoozed_until: r.snoozed_until,
    created_at: r.created_at,
    updated_at: r.updated_at,
    closed_at: r.closed_at,
  }
}
