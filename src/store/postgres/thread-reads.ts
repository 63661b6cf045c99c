/**
 * Thread reads on PostgreSQL: one, a contact's active ones, a filtered page (newest first, cursor
 * on seq as on SQLite), a thread's events. Changes go through the core and the port.
 */
import { encodeCursor, seqCursor } from '../sqlite/cursor.js'
import type { Page, ThreadEventRecord, ThreadRecord, ThreadStatus } from '../types.js'
import type { Sql } from './exec.js'
import { toEvent, toThread, type PgThreadEventRow, type PgThreadRow } from './rows.js'

const GET = `SELECT * FROM threads WHERE id = $1`
const ACTIVE = `SELECT * FROM threads WHERE contact_id = $1 AND status IN ('open', 'snoozed')
  ORDER BY seq DESC`
const EVENTS = `SELECT * FROM thread_events WHERE thread_id = $1 ORDER BY seq`
const TAGS = `SELECT thread_id, tag FROM thread_tags WHERE thread_id = ANY($1) ORDER BY tag`

export interface ThreadList {
  status?: ThreadStatus
  assignee?: string
  contact_id?: string
  channel?: string
  limit: number
  cursor?: string
}

export async function getThread(sql: Sql, id: string): Promise<ThreadRecord | null> {
  const row = await sql.one<PgThreadRow>(GET, [id])
  return row ? ((await withTags(sql, [row]))[0] ?? null) : null
}

export async function activeByContact(sql: Sql, contactId: string): Promise<ThreadRecord[]> {
  return withTags(sql, await sql.rows<PgThreadRow>(ACTIVE, [contactId]))
}

/** Newest thread first; `assignee: 'unassigned'` means no assignee. */
export async function listThreads(sql: Sql, f: ThreadList): Promise<Page<ThreadRecord>> {
  const after = seqCursor(f.cursor)
  if (after === null) return { items: [], next_cursor: null }
  const where: string[] = []
  const params: unknown[] = []
  const add = (clause: string, value: unknown) => {
    params.push(value)
    where.push(clause.replace('?', `$${params.length}`))
  }
  if (after !== undefined) add('seq < ?', after)
  if (f.status) add('status = ?', f.status)
  if (f.assignee === 'unassigned') where.push('assignee IS NULL')
  else if (f.assignee) add('assignee = ?', f.assignee)
  if (f.contact_id) add('contact_id = ?', f.contact_id)
  if (f.channel) add('channel = ?', f.channel)
  params.push(f.limit + 1)
  const rows = await sql.rows<PgThreadRow>(
    `SELECT * FROM threads ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY seq DESC LIMIT $${params.length}`,
    params,
  )
  const page = rows.slice(0, f.limit)
  const last = page[page.length - 1]
  return {
    items: await withTags(sql, page),
    next_cursor: rows.length > f.limit && last ? encodeCursor(last.seq) : null,
  }
}

export async function threadEvents(sql: Sql, threadId: string): Promise<ThreadEventRecord[]> {
  return (await sql.rows<PgThreadEventRow>(EVENTS, [threadId])).map(toEvent)
}

async function withTags(sql: Sql, rows: PgThreadRow[]): Promise<ThreadRecord[]> {
  if (rows.length === 0) return []
  const tagRows = await sql.rows<{ thread_id: string; tag: string }>(TAGS, [rows.map((r) => r.id)])
  const tags = new Map<string, string[]>()
  for (const r of tagRows) tags.set(r.thread_id, [...(tags.get(r.thread_id) ?? []), r.tag])
  return rows.map((r) => toThread(r, tags.get(r.id) ?? []))
}
