/**
 * Thread state changes and the thread events that record them, shared by the thread repository,
 * accept and inbound. Each change mutates the row object it is given and saves it, so steps can
 * be chained (reopen, then assign, then tag) within one transaction.
 */
import { monotonicFactory } from 'ulid'
import type { ThreadEventType } from '../types.js'
import type { Executor } from './executor.js'
import type { ThreadRow } from './schema.js'

const LOAD = `SELECT * FROM threads WHERE id = ?`
const ACTIVE = `SELECT * FROM threads WHERE contact_id = ? AND status IN ('open', 'snoozed')
  ORDER BY seq DESC`
const ACTIVE_ON = `SELECT * FROM threads WHERE contact_id = ? AND status IN ('open', 'snoozed')
  AND channel = ? ORDER BY seq DESC`
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

/** Thread events have no id from the gateway: `te_` + a time-sortable ULID, like gateway ids. */
const nextUlid = monotonicFactory()

export class ThreadWriter {
  constructor(private readonly x: Executor) {}

  load(id: string): ThreadRow | undefined {
    return this.x.stmt(LOAD).get(id) as ThreadRow | undefined
  }

  /** Open or snoozed threads of a contact (on one channel if given), newest first. */
  active(contactId: string, channel?: string): ThreadRow[] {
    return (
      channel === undefined
        ? this.x.stmt(ACTIVE).all(contactId)
        : this.x.stmt(ACTIVE_ON).all(contactId, channel)
    ) as ThreadRow[]
  }

  tags(id: string): string[] {
    return (this.x.stmt(TAGS).all(id) as { tag: string }[]).map((r) => r.tag)
  }

  /** Creates an open thread with its tags; event `opened`. */
  insert(
    t: {
      id: string
      contact_id: string
      channel: string
      assignee: string | null
      tags: readonly string[]
    },
    actor: string,
    now: string,
  ): void {
    this.x.stmt(INSERT).run(t.id, t.contact_id, t.channel, t.assignee, now, now)
    const tags = [...new Set(t.tags)].sort()
    for (const tag of tags) this.x.stmt(ADD_TAG).run(t.id, tag)
    this.event(
      t.id,
      t.contact_id,
      'opened',
      actor,
      { channel: t.channel, assignee: t.assignee, tags },
      now,
    )
  }

  /** A closed thread opens again (event `reopened`); a snoozed one wakes (event `woke`). */
  reopen(t: ThreadRow, actor: string, now: string): void {
    if (t.status === 'open') return
    const type: ThreadEventType = t.status === 'closed' ? 'reopened' : 'woke'
    Object.assign(t, { status: 'open', snoozed_until: null, closed_at: null })
    this.save(t, now)
    this.event(t.id, t.contact_id, type, actor, {}, now)
  }

  /** Sets the assignee; event `assigned`/`unassigned` only when it changes. */
  assign(t: ThreadRow, agent: string | null, actor: string, now: string): void {
    if (t.assignee === agent) return
    const previous = t.assignee
    t.assignee = agent
    this.save(t, now)
    if (agent === null) this.event(t.id, t.contact_id, 'unassigned', actor, { previous }, now)
    else this.event(t.id, t.contact_id, 'assigned', actor, { agent, previous }, now)
  }

  /** Adds tags; event `tagged` with the ones that were new. */
  addTags(t: ThreadRow, tags: readonly string[], actor: string, now: string): void {
    if (tags.length === 0) return
    const current = new Set(this.tags(t.id))
    const added = [...new Set(tags)].filter((tag) => !current.has(tag)).sort()
    if (added.length === 0) return
    for (const tag of added) this.x.stmt(ADD_TAG).run(t.id, tag)
    this.touch(t.id, now)
    this.event(
      t.id,
      t.contact_id,
      'tagged',
      actor,
      { added, removed: [], tags: this.tags(t.id) },
      now,
    )
  }

  /** Replaces the tags; event `tagged` with what was added and removed, when anything changed. */
  setTags(t: ThreadRow, tags: readonly string[], actor: string, now: string): void {
    const current = new Set(this.tags(t.id))
    const wanted = new Set(tags)
    const added = [...wanted].filter((tag) => !current.has(tag)).sort()
    const removed = [...current].filter((tag) => !wanted.has(tag)).sort()
    if (added.length === 0 && removed.length === 0) return
    for (const tag of added) this.x.stmt(ADD_TAG).run(t.id, tag)
    for (const tag of removed) this.x.stmt(DELETE_TAG).run(t.id, tag)
    this.touch(t.id, now)
    this.event(
      t.id,
      t.contact_id,
      'tagged',
      actor,
      { added, removed, tags: [...wanted].sort() },
      now,
    )
  }

  /** Closes (event `closed`), unassigning first when asked (event `unassigned`). */
  close(t: ThreadRow, unassign: boolean, actor: string, now: string): void {
    if (unassign) this.assign(t, null, actor, now)
    if (t.status === 'closed') return
    Object.assign(t, { status: 'closed', snoozed_until: null, closed_at: now })
    this.save(t, now)
    this.event(t.id, t.contact_id, 'closed', actor, {}, now)
  }

  /** Snoozes until a time (event `snoozed`); the scheduler wakes it (wakeDue). */
  snooze(t: ThreadRow, until: string, actor: string, now: string): void {
    Object.assign(t, { status: 'snoozed', snoozed_until: until, closed_at: null })
    this.save(t, now)
    this.event(t.id, t.contact_id, 'snoozed', actor, { until }, now)
  }

  /** Activity in the thread (a message). */
  touch(id: string, now: string): void {
    this.x.stmt(TOUCH).run(now, id)
  }

  event(
    threadId: string,
    contactId: string,
    type: ThreadEventType,
    actor: string,
    data: Record<string, unknown>,
    at: string,
  ): void {
    const id = `te_${nextUlid(Date.parse(at) || undefined).toLowerCase()}`
    this.x.stmt(INSERT_EVENT).run(id, threadId, contactId, type, actor, JSON.stringify(data), at)
  }

  private save(t: ThreadRow, now: string): void {
    t.updated_at = now
    this.x.stmt(SAVE).run(t.status, t.assignee, t.snoozed_until, t.closed_at, now, t.id)
  }
}
