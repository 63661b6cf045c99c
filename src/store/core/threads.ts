/**
 * Thread transitions and the thread events that record them (DESIGN §3), shared by the thread
 * API, accept and inbound. Each step changes the ThreadState it is given and saves it, so steps
 * chain within one transaction (reopen, then assign, then tag). Events only for real changes.
 */
import { ulidFactory } from './ulid.js'
import type { ThreadEventType, ThreadRecord } from '../types.js'
import type { ThreadState } from './port.js'
import { tx, type Program } from './program.js'

/** Thread events have no id from the gateway: `te_` + a time-sortable ULID, like gateway ids. */
const nextUlid = ulidFactory()

/** The thread as the API sees it (with its tags). */
export function* threadRecord(id: string): Program<ThreadRecord | null> {
  const t = yield* tx.loadThread(id)
  if (!t) return null
  return { ...t, tags: yield* tx.threadTags(id) }
}

/** Creates an open thread with its tags (event `opened`); the contact's version moves (save). */
export function* openThread(
  t: {
    id: string
    contact_id: string
    channel: string
    assignee: string | null
    tags: readonly string[]
  },
  actor: string,
  now: string,
): Program<void> {
  yield* tx.insertThread(
    { id: t.id, contact_id: t.contact_id, channel: t.channel, assignee: t.assignee },
    now,
  )
  const tags = [...new Set(t.tags)].sort()
  if (tags.length > 0) yield* tx.addThreadTags(t.id, tags)
  yield* tx.bumpContactVersion(t.contact_id)
  const data = { channel: t.channel, assignee: t.assignee, tags }
  yield* event(t.id, t.contact_id, 'opened', actor, data, now)
}

/** A closed thread opens again (event `reopened`); a snoozed one wakes (event `woke`). */
export function* reopen(t: ThreadState, actor: string, now: string): Program<void> {
  if (t.status === 'open') return
  const type: ThreadEventType = t.status === 'closed' ? 'reopened' : 'woke'
  Object.assign(t, { status: 'open', snoozed_until: null, closed_at: null })
  yield* save(t, now, true)
  yield* event(t.id, t.contact_id, type, actor, {}, now)
}

/** Sets the assignee; event `assigned`/`unassigned` only when it changes. */
export function* assign(
  t: ThreadState,
  agent: string | null,
  actor: string,
  now: string,
): Program<void> {
  if (t.assignee === agent) return
  const previous = t.assignee
  t.assignee = agent
  yield* save(t, now)
  if (agent === null) yield* event(t.id, t.contact_id, 'unassigned', actor, { previous }, now)
  else yield* event(t.id, t.contact_id, 'assigned', actor, { agent, previous }, now)
}

/** Adds tags; event `tagged` with the ones that were new. */
export function* addTags(
  t: ThreadState,
  tags: readonly string[],
  actor: string,
  now: string,
): Program<void> {
  if (tags.length === 0) return
  const current = new Set(yield* tx.threadTags(t.id))
  const added = [...new Set(tags)].filter((tag) => !current.has(tag)).sort()
  if (added.length === 0) return
  yield* tx.addThreadTags(t.id, added)
  yield* tx.touchThread(t.id, now)
  const all = [...current, ...added].sort()
  yield* event(t.id, t.contact_id, 'tagged', actor, { added, removed: [], tags: all }, now)
}

/** Replaces the tags; event `tagged` with what was added and removed, when anything changed. */
export function* setTags(
  t: ThreadState,
  tags: readonly string[],
  actor: string,
  now: string,
): Program<void> {
  const current = new Set(yield* tx.threadTags(t.id))
  const wanted = new Set(tags)
  const added = [...wanted].filter((tag) => !current.has(tag)).sort()
  const removed = [...current].filter((tag) => !wanted.has(tag)).sort()
  if (added.length === 0 && removed.length === 0) return
  if (added.length > 0) yield* tx.addThreadTags(t.id, added)
  if (removed.length > 0) yield* tx.removeThreadTags(t.id, removed)
  yield* tx.touchThread(t.id, now)
  const data = { added, removed, tags: [...wanted].sort() }
  yield* event(t.id, t.contact_id, 'tagged', actor, data, now)
}

/** Closes (event `closed`), unassigning first when asked (event `unassigned`). */
export function* close(
  t: ThreadState,
  unassign: boolean,
  actor: string,
  now: string,
): Program<void> {
  if (unassign) yield* assign(t, null, actor, now)
  if (t.status === 'closed') return
  Object.assign(t, { status: 'closed', snoozed_until: null, closed_at: now })
  yield* save(t, now, true)
  yield* event(t.id, t.contact_id, 'closed', actor, {}, now)
}

/** Snoozes until a time (event `snoozed`); the scheduler wakes it (wakeDue). */
export function* snooze(t: ThreadState, until: string, actor: string, now: string): Program<void> {
  Object.assign(t, { status: 'snoozed', snoozed_until: until, closed_at: null })
  yield* save(t, now, true)
  yield* event(t.id, t.contact_id, 'snoozed', actor, { until }, now)
}

/**
 * A status change (`moved`) changes which thread the contact's next send picks: the contact's
 * version moves, so a send decided before it comes back `stale` and is decided again.
 */
function* save(t: ThreadState, now: string, moved = false): Program<void> {
  t.updated_at = now
  yield* tx.saveThread(t)
  if (moved) yield* tx.bumpContactVersion(t.contact_id)
}

/** Records one thread event (`te_…` id made here). */
export function* event(
  threadId: string,
  contactId: string,
  type: ThreadEventType,
  actor: string,
  data: Record<string, unknown>,
  at: string,
): Program<void> {
  const id = `te_${nextUlid(Date.parse(at) || undefined).toLowerCase()}`
  yield* tx.insertThreadEvent({
    id,
    thread_id: threadId,
    contact_id: contactId,
    type,
    actor,
    data,
    at,
  })
}
