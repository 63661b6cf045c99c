/**
 * Contact merge (DESIGN §15), one transaction: every contact involved locked in id order (two
 * merges sharing contacts never wait on each other in a circle on PostgreSQL) and its version
 * bumped, so a send decided on any of them before the merge is decided again — and then resolves
 * to the survivor. The target's fields win; a field it lacks is taken from the merged contacts in
 * the order given; attribute keys it lacks are added; `blocked` if any was (a person blocked on
 * one record stays blocked); recency is the latest. An active-thread clash on one channel keeps
 * the newest thread and closes the others (event `merged`, app events `thread.closed`).
 */
import type { ContactMerge, ContactPatch, ContactRecord, MergeOutcome } from '../types.js'
import type { ThreadState } from './port.js'
import { tx, type Program } from './program.js'
import { event } from './threads.js'

/** A thread to close because another active one on its channel is kept. */
export interface MergeClash {
  threadId: string
  keptThreadId: string
}

/**
 * The clashes of a merge: on each channel where active (open or snoozed) threads of two or more of
 * the contacts meet, the newest (created last; id breaks a tie) is kept and the others close.
 * Pure: the gateway plans with it, the store decides again with it under the locks.
 */
export function mergeClashes(active: readonly ThreadState[]): MergeClash[] {
  const byChannel = new Map<string, ThreadState[]>()
  for (const t of active) byChannel.set(t.channel, [...(byChannel.get(t.channel) ?? []), t])
  const out: MergeClash[] = []
  for (const threads of byChannel.values()) {
    if (new Set(threads.map((t) => t.contact_id)).size < 2) continue
    const sorted = [...threads].sort((a, b) =>
      a.created_at === b.created_at
        ? b.id.localeCompare(a.id)
        : b.created_at < a.created_at
          ? -1
          : 1,
    )
    const kept = sorted[0]
    if (!kept) continue
    for (const t of sorted.slice(1)) out.push({ threadId: t.id, keptThreadId: kept.id })
  }
  return out.sort((a, b) => a.threadId.localeCompare(b.threadId))
}

export function* mergeContacts(m: ContactMerge): Program<MergeOutcome> {
  const ids = [...new Set([m.into, ...m.from])].sort()
  for (const id of ids) {
    const lock = yield* tx.lockContact(id)
    if (!lock) return { ok: false, code: 'not_found', id }
    if (lock.merged_into) return { ok: false, code: 'merged', id, into: lock.merged_into }
  }
  const active: ThreadState[] = []
  for (const id of ids) active.push(...(yield* tx.activeThreads(id)))
  const clashes = mergeClashes(active)
  if (!samePlan(clashes, m.closes)) return { ok: false, code: 'stale' }

  const target = yield* mustGet(m.into)
  const merged: ContactRecord[] = []
  for (const id of m.from) merged.push(yield* mustGet(id))
  // The external id is unique: the one merged contact whose id the target takes gives it up
  // first (the others keep theirs, on their merged rows).
  const giver = target.external_id === null ? merged.find((c) => c.external_id !== null) : undefined
  if (giver) yield* tx.updateContact(giver.id, { external_id: null }, m.now)
  for (const c of merged) {
    yield* tx.mergeContactRows(c.id, m.into)
    yield* tx.bumpContactVersion(c.id)
  }
  yield* tx.updateContact(m.into, fieldsPatch(target, merged), m.now)
  const latest = merged.reduce(
    (at, c) => (c.last_activity_at > at ? c.last_activity_at : at),
    target.last_activity_at,
  )
  if (latest > target.last_activity_at) yield* tx.touchContact(m.into, latest)
  yield* tx.reindexContact(m.into)

  const from = merged.map((c) => c.id)
  for (const c of m.closes) {
    const t = yield* tx.loadThread(c.threadId)
    if (!t) continue
    Object.assign(t, { status: 'closed', snoozed_until: null, closed_at: m.now, updated_at: m.now })
    yield* tx.saveThread(t)
    const data = { kept_thread_id: c.keptThreadId, contact_id: m.into, from }
    yield* event(t.id, m.into, 'merged', m.actor, data, m.now)
    if (c.events.length > 0) yield* tx.enqueueEvents(c.events)
  }
  const newest = yield* tx.newestThreadId(m.into)
  if (newest !== null) yield* event(newest, m.into, 'contact_merged', m.actor, { from }, m.now)
  yield* tx.bumpContactVersion(m.into)
  if (m.events.length > 0) yield* tx.enqueueEvents(m.events)
  return { ok: true, contact: yield* mustGet(m.into), closed: m.closes.map((c) => c.threadId) }
}

/** The target's fields win; the ones it lacks come from the merged contacts, first given first. */
function fieldsPatch(target: ContactRecord, merged: readonly ContactRecord[]): ContactPatch {
  const patch: ContactPatch = {}
  const fields = ['first_name', 'last_name', 'email', 'phone', 'external_id', 'timezone'] as const
  for (const f of fields) {
    if (target[f] != null) continue
    const v = merged.find((c) => c[f] != null)?.[f]
    if (v != null) patch[f] = v
  }
  const attributes = { ...target.attributes }
  let added = false
  for (const c of merged) {
    for (const [k, v] of Object.entries(c.attributes)) {
      if (k in attributes) continue
      attributes[k] = v
      added = true
    }
  }
  if (added) patch.attributes = attributes
  if (!target.blocked && merged.some((c) => c.blocked)) patch.blocked = true
  return patch
}

function samePlan(clashes: readonly MergeClash[], planned: ContactMerge['closes']): boolean {
  const key = (c: MergeClash) => `${c.threadId}>${c.keptThreadId}`
  const want = new Set(clashes.map(key))
  return planned.length === want.size && planned.every((c) => want.has(key(c)))
}

function* mustGet(id: string): Program<ContactRecord> {
  const c = yield* tx.getContact(id)
  if (!c) throw new Error(`contact ${id} vanished inside its own transaction`)
  return c
}
