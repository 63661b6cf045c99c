/**
 * `POST /v1/contacts/{id}/merge {from: [ids]}` (DESIGN §15): the contacts of `from` go into the
 * target in one store transaction (store/core/merge.ts decides what moves and what wins). Ids are
 * resolved first — the target and each `from` to their survivors, so a merge addressed to a merged
 * id acts on where it lives now — and checked: none may be the target (itself, or merged into it
 * already: a cycle), 1 to 50 of them, each known. The plan names the active threads the merge
 * closes (the older ones of a clash on one channel) with their `thread.closed` events; when the
 * store finds another clash under its locks (a thread opened meanwhile), it is planned again.
 */
import { mergeClashes } from '../../store/core/merge.js'
import type { ContactRecord, ThreadRecord } from '../../store/types.js'
import { apiError, notFound } from '../errors.js'
import { recordEvents, threadEvent } from '../live/index.js'
import type { Services } from '../services.js'
import { liveContact } from './merged.js'

/** The most contacts one merge takes: one transaction locks them all. */
const MAX_MERGE_FROM = 50
/** Plans tried when threads keep changing under the merge; each try reads the contacts again. */
const PLAN_TRIES = 5

export interface MergeResult {
  contact: ContactRecord
  /** The ids merged into it by this call (as they were resolved). */
  merged: string[]
}

export async function mergeContacts(
  svc: Services,
  targetId: string,
  from: readonly string[],
  actor: string,
): Promise<MergeResult> {
  if (from.length === 0 || from.length > MAX_MERGE_FROM) {
    throw apiError('merge_invalid', `from: give 1 to ${MAX_MERGE_FROM} contact ids`, {
      field: 'from',
      count: from.length,
    })
  }
  for (let attempt = 1; ; attempt++) {
    const target = await liveContact(svc, targetId)
    const ids = await resolveFrom(svc, target.id, from)
    const active: ThreadRecord[] = []
    for (const id of [target.id, ...ids]) {
      active.push(...(await svc.store.threads.listActiveByContact(id)))
    }
    const now = svc.now().toISOString()
    const told = recordEvents(svc.events)
    const byId = new Map(active.map((t) => [t.id, t]))
    const closes = mergeClashes(active).map((c) => {
      const t = byId.get(c.threadId)
      const data = { thread_id: c.threadId, contact_id: target.id, channel: t?.channel, by: actor }
      return { ...c, events: told.events('thread.closed', { ...data, reason: 'merged' }, now) }
    })
    const mergedData = { contact_id: target.id, from: ids }
    const events = told.events('contact.merged', mergedData, now)
    const out = await svc.store.contacts.merge({
      into: target.id,
      from: ids,
      now,
      actor,
      closes,
      events,
    })
    if (out.ok) {
      svc.log.info(
        { component: 'contacts', action: 'contact.merge', key_id: actor, contact_id: target.id },
        `${ids.length} contact(s) merged`,
      )
      for (const id of out.closed) {
        const t = await svc.store.threads.get(id)
        if (t) svc.live.publish(threadEvent('thread.closed', t, actor, now))
      }
      svc.live.publish(told.taken().filter((e) => e.type === 'contact.merged'))
      return { contact: out.contact, merged: ids }
    }
    if (out.code === 'not_found') throw notFound('contact', out.id)
    if (attempt >= PLAN_TRIES) {
      throw apiError('internal', 'the contacts kept changing during the merge; try again')
    }
  }
}

/** Each `from` id resolved to its survivor, checked, without duplicates, in the order given. */
async function resolveFrom(
  svc: Services,
  targetId: string,
  from: readonly string[],
): Promise<string[]> {
  const out: string[] = []
  for (const id of from) {
    const live = await liveContact(svc, id)
    if (live.id === targetId) {
      const reason = id === targetId ? 'self' : 'already_merged'
      const why =
        reason === 'self'
          ? `contact ${id} cannot be merged into itself`
          : `contact ${id} is merged into ${targetId} already`
      throw apiError('merge_invalid', why, { field: 'from', contact: id, reason })
    }
    if (!out.includes(live.id)) out.push(live.id)
  }
  return out
}
