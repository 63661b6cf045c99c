/**
 * Thread rows for the transaction port: reads by id and by contact, the snoozed that are due,
 * the reply match, writes of the row, its tags and its events. Prepared statements (accept and
 * inbound run these).
 */
import type { ThreadEventInsert, ThreadInsert, ThreadState } from '../core/port.js'
import type { Executor } from './executor.js'
import type { ThreadRow } from './schema.js'

const LOAD = `SELECT * FROM threads WHERE id = ?`
const ACTIVE = `SELECT * FROM threads WHERE contact_id = ? AND status IN ('open', 'snoozed')
  ORDER BY seq DESC`
const ACTIVE_ON = `SELECT * FROM threads WHERE contact_id = ? AND status IN ('open', 'snoozed')
  AND channel = ? ORDER BY seq DESC`
// On the partial index threads_snoozed.
const DUE_SNOOZED = `SELECT * FROM threads WHERE status = 'snoozed' AND snoozed_until <= ?
  ORDER BY snoozed_until`
// The thread of the newest message of this contact on this channel that the reply refers to.
const REPLY_THREAD = `SELECT thread_id FROM messages
  WHERE contact_id = @contact AND channel = @channel
    AND (platform_message_id IN (SELECT value FROM json_each(@ids))
      OR email_message_id IN (SELECT value FROM json_each(@ids)))
  ORDER BY seq DESC LIMIT 1`
const TAGS = `SELECT tag FROM thread_tags WHERE thread_id = ? ORDER BY tag`
const INSERT = `INSERT INTO threads
  (id, contact_id, channel, status, assignee, created_at, updated_at)
  VALUES (?, ?, ?, 'open', ?, ?, ?)`
const SAVE = `UPDATE threads
  SET status = ?, assignee = ?, snoozed_until = ?, closed_at = ?, updated_at = ? WHERE id = ?`
const TOUCH = `UPDATE threads SET updated_at = ? WHERE id = ?`
const ADD_TAG = `INSERT OR IGNORE INTO thread_tags (thread_id, tag) VALUES (?, ?)`
const DELETE_TAG = `DELETE FROM thread_tags WHERE thread_id = ? AND tag = ?`
const INSERT_EVENT = `INSERT INTO thread_events (id, thread_id, contact_id, type, actor, data, at)
  VALUES (?, ?, ?, ?, ?, ?, ?)`

export class ThreadRows {
  constructor(private readonly x: Executor) {}

  load(id: string): ThreadState | null {
    const row = this.x.stmt(LOAD).get(id) as ThreadRow | undefined
    return row ? state(row) : null
  }

  active(contactId: string, channel?: string): ThreadState[] {
    const rows = (
      channel === undefined
        ? this.x.stmt(ACTIVE).all(contactId)
        : this.x.stmt(ACTIVE_ON).all(contactId, channel)
    ) as ThreadRow[]
    return rows.map(state)
  }

  dueSnoozed(now: string): ThreadState[] {
    return (this.x.stmt(DUE_SNOOZED).all(now) as ThreadRow[]).map(state)
  }

  replyThreadId(contactId: string, channel: string, ids: readonly string[]): string | null {
    const hit = this.x
      .stmt(REPLY_THREAD)
      .get({ contact: contactId, channel, ids: JSON.stringify(ids) }) as
      { thread_id: string } | undefined
    return hit?.thread_id ?? null
  }

  tags(id: string): string[] {
    return (this.x.stmt(TAGS).all(id) as { tag: string }[]).map((r) => r.tag)
  }

  insert(t: ThreadInsert, now: string): void {
    this.x.stmt(INSERT).run(t.id, t.contact_id, t.channel, t.assignee, now, now)
  }

  save(t: ThreadState): void {
    this.x.stmt(SAVE).run(t.status, t.assignee, t.snoozed_until, t.closed_at, t.updated_at, t.id)
  }

  touch(id: string, now: string): void {
    this.x.stmt(TOUCH).run(now, id)
  }

  addTags(id: string, tags: readonly string[]): void {
    for (const tag of tags) this.x.stmt(ADD_TAG).run(id, tag)
  }

  removeTags(id: string, tags: readonly string[]): void {
    for (const tag of tags) this.x.stmt(DELETE_TAG).run(id, tag)
  }

  event(e: ThreadEventInsert): void {
    this.x
      .stmt(INSERT_EVENT)
      .run(e.id, e.thread_id, e.contact_id, e.type, e.actor, JSON.stringify(e.data), e.at)
  }
}

/** The row without its SQLite-only `seq` (the core saves what it is given). */
function state(r: ThreadRow): ThreadState {
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
