/**
 * Threads: reads through kysely, changes through ThreadWriter, each change one transaction with
 * its thread events and the app-webhook events the caller built.
 */
import type {
  NewEvent,
  Page,
  Store,
  ThreadEventRecord,
  ThreadRecord,
  ThreadStatus,
} from '../types.js'
import { StoreConflict } from '../types.js'
import { encodeCursor, seqCursor } from './cursor.js'
import type { EventQueue } from './event-queue.js'
import { qb, type Executor } from './executor.js'
import { toEvent, toThread } from './rows.js'
import type { ThreadEventRow, ThreadRow } from './schema.js'
import type { ThreadWriter } from './thread-writer.js'

type ThreadsApi = Store['threads']

type ThreadList = {
  status?: ThreadStatus
  assignee?: string
  contact_id?: string
  channel?: string
  limit: number
  cursor?: string
}

export class ThreadRepo implements ThreadsApi {
  constructor(
    private readonly x: Executor,
    private readonly w: ThreadWriter,
    private readonly queue: EventQueue,
  ) {}

  get(id: string): ThreadRecord | null {
    const row = this.w.load(id)
    return row ? toThread(row, this.w.tags(id)) : null
  }

  listActiveByContact(contactId: string): ThreadRecord[] {
    return this.withTags(this.w.active(contactId))
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

  create(
    t: { id: string; contact_id: string; channel: string; assignee: string | null; tags: string[] },
    singleOpen: boolean,
    actor: string,
    now: string,
    events: NewEvent[],
  ): ThreadRecord {
    return this.x.tx(() => {
      const other = singleOpen ? this.w.active(t.contact_id)[0] : undefined
      if (other)
        throw new StoreConflict('thread_conflict', {
          thread: { id: other.id, assignee: other.assignee },
        })
      this.w.insert(t, actor, now)
      this.queue.enqueue(events)
      return this.mustGet(t.id)
    })
  }

  close(
    id: string,
    unassign: boolean,
    actor: string,
    now: string,
    events: NewEvent[],
  ): ThreadRecord | null {
    return this.change(id, events, (row) => this.w.close(row, unassign, actor, now))
  }

  snooze(
    id: string,
    until: string,
    actor: string,
    now: string,
    events: NewEvent[],
  ): ThreadRecord | null {
    return this.change(id, events, (row) => this.w.snooze(row, until, actor, now))
  }

  assign(
    id: string,
    agent: string | null,
    actor: string,
    now: string,
    events: NewEvent[],
  ): ThreadRecord | null {
    return this.change(id, events, (row) => this.w.assign(row, agent, actor, now))
  }

  setTags(
    id: string,
    tags: string[],
    actor: string,
    now: string,
    events: NewEvent[],
  ): ThreadRecord | null {
    return this.change(id, events, (row) => this.w.setTags(row, tags, actor, now))
  }

  wakeDue(now: string): ThreadRecord[] {
    return this.x.tx(() => {
      const due = this.x.all<ThreadRow>(
        qb
          .selectFrom('threads')
          .selectAll()
          .where('status', '=', 'snoozed')
          .where('snoozed_until', '<=', now),
      )
      for (const row of due) this.w.reopen(row, 'system', now)
      return this.withTags(due)
    })
  }

  nextWake(): string | null {
    const row = this.x.get<{ at: string | null }>(
      qb
        .selectFrom('threads')
        .select((eb) => eb.fn.min('snoozed_until').as('at'))
        .where('status', '=', 'snoozed'),
    )
    return row?.at ?? null
  }

  events(threadId: string): ThreadEventRecord[] {
    const rows = this.x.all<ThreadEventRow>(
      qb.selectFrom('thread_events').selectAll().where('thread_id', '=', threadId).orderBy('seq'),
    )
    return rows.map(toEvent)
  }

  private change(
    id: string,
    events: NewEvent[],
    apply: (row: ThreadRow) => void,
  ): ThreadRecord | null {
    return this.x.tx(() => {
      const row = this.w.load(id)
      if (!row) return null
      apply(row)
      this.queue.enqueue(events)
      return this.mustGet(id)
    })
  }

  private mustGet(id: string): ThreadRecord {
    const t = this.get(id)
    if (!t) throw new Error(`thread ${id} vanished inside its own transaction`)
    return t
  }

  private withTags(rows: ThreadRow[]): ThreadRecord[] {
    if (rows.length === 0) return []
    const tagRows = this.x.all<{ thread_id: string; tag: string }>(
      qb
        .selectFrom('thread_tags')
        .select(['thread_id', 'tag'])
        .where(
          'thread_id',
          'in',
          rows.map((r) => r.id),
        )
        .orderBy('tag'),
    )
    const tags = new Map<string, string[]>()
    for (const r of tagRows) tags.set(r.thread_id, [...(tags.get(r.thread_id) ?? []), r.tag])
    return rows.map((r) => toThread(r, tags.get(r.id) ?? []))
  }
}
