/**
 * Thread reads (kysely): one, a contact's active ones, a filtered page, a thread's events.
 * Changes go through the core (core/threads.ts) and the port.
 */
import type { Page, ThreadEventRecord, ThreadRecord, ThreadStatus } from '../types.js'
import { encodeCursor, seqCursor } from './cursor.js'
import { qb, type Executor } from './executor.js'
import { toEvent, toThread } from './rows.js'
import type { ThreadEventRow, ThreadRow } from './schema.js'

type ThreadList = {
  status?: ThreadStatus
  assignee?: string
  contact_id?: string
  channel?: string
  limit: number
  cursor?: string
}

const ACTIVE = `SELECT * FROM threads WHERE contact_id = ? AND status IN ('open', 'snoozed')
  ORDER BY seq DESC`
// The threads' ids as one JSON parameter: one prepared statement whatever their number.
const TAGS = `SELECT thread_id, tag FROM thread_tags
  WHERE thread_id IN (SELECT value FROM json_each(?)) ORDER BY tag`

export class ThreadRepo {
  constructor(private readonly x: Executor) {}

  get(id: string): ThreadRecord | null {
    const row = this.x.get<ThreadRow>(qb.selectFrom('threads').selectAll().where('id', '=', id))
    return row ? (this.withTags([row])[0] ?? null) : null
  }

  listActiveByContact(contactId: string): ThreadRecord[] {
    return this.withTags(this.x.stmt(ACTIVE).all(contactId) as ThreadRow[])
  }

  /** Newest thread first; `assignee: 'unassigned'` means no assignee. */
  list(f: ThreadList): Page<ThreadRecord> {
    const after = seqCursor(f.cursor)
    if (after === null) return { items: [], next_cursor: null }
    let q = qb
      .selectFrom('threads')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(f.limit + 1)
    if (after !== undefined) q = q.where('seq', '<', after)
    if (f.status) q = q.where('status', '=', f.status)
    if (f.assignee === 'unassigned') q = q.where('assignee', 'is', null)
    else if (f.assignee) q = q.where('assignee', '=', f.assignee)
    if (f.contact_id) q = q.where('contact_id', '=', f.contact_id)
    if (f.channel) q = q.where('channel', '=', f.channel)
    const rows = this.x.all<ThreadRow>(q)
    const page = rows.slice(0, f.limit)
    const last = page[page.length - 1]
    return {
      items: this.withTags(page),
      next_cursor: rows.length > f.limit && last ? encodeCursor(last.seq) : null,
    }
  }

  events(threadId: string): ThreadEventRecord[] {
    const rows = this.x.all<ThreadEventRow>(
      qb.selectFrom('thread_events').selectAll().where('thread_id', '=', threadId).orderBy('seq'),
    )
    return rows.map(toEvent)
  }

  private withTags(rows: ThreadRow[]): ThreadRecord[] {
    if (rows.length === 0) return []
    const tagRows = this.x.stmt(TAGS).all(JSON.stringify(rows.map((r) => r.id))) as {
      thread_id: string
      tag: string
    }[]
    const tags = new Map<string, string[]>()
    for (const r of tagRows) tags.set(r.thread_id, [...(tags.get(r.thread_id) ?? []), r.tag])
    return rows.map((r) => toThread(r, tags.get(r.id) ?? []))
  }
}
