/**
 * Threads (DESIGN §1.4, §6): start one, read them, and the agent actions close / snooze / assign /
 * tags. The policies are the rules' (`checkTagsAllowed`, `strictSingleOpen`); the store's guard
 * against a second active thread is mapped to `thread_conflict` here. `actor` is the key id acting
 * (`system` without one).
 */
import { checkTagsAllowed, strictSingleOpen } from '../../rules/index.js'
import { StoreConflict, type ThreadEventRecord, type ThreadRecord } from '../../store/types.js'
import { apiError, notFound, refusal, ruleError } from '../errors.js'
import type { Caller } from '../http/route.js'
import { newId } from '../ids.js'
import { threadEvent } from '../live/index.js'
import { liveContact } from '../contacts/merged.js'
import type { Services } from '../services.js'

/** A new thread (`POST /v1/threads`), assigned to the agent who starts it. */
export async function startThread(
  svc: Services,
  req: { contact_id: string; channel: string; tags?: string[] | undefined },
  caller: Caller | null,
): Promise<ThreadRecord> {
  // A thread for a merged contact is the survivor's (DESIGN §15).
  req = { ...req, contact_id: (await liveContact(svc, req.contact_id)).id }
  const ch = svc.config().channels[req.channel]
  if (!ch)
    throw ruleError(
      'channel_unknown',
      `no channel named ${req.channel}`,
      `channels.${req.channel}`,
      {
        field: 'channel',
      },
    )
  const tags = req.tags ?? []
  const unknownTag = checkTagsAllowed(ch.info, tags)
  if (unknownTag) throw refusal(unknownTag)
  const now = svc.now().toISOString()
  const agent = caller && caller.role !== 'app' ? caller.id : null
  const id = newId('th')
  try {
    const created = await svc.store.threads.create(
      { id, contact_id: req.contact_id, channel: req.channel, assignee: agent, tags },
      strictSingleOpen(ch.info.rules),
      caller?.id ?? 'system',
      now,
      svc.events(
        'thread.opened',
        { thread_id: id, contact_id: req.contact_id, channel: req.channel, by: caller?.id ?? null },
        now,
      ),
    )
    svc.live.publish(threadEvent('thread.opened', created, caller?.id ?? null, now))
    return created
  } catch (e) {
    if (e instanceof StoreConflict && e.code === 'thread_conflict') {
      throw ruleError(
        'thread_conflict',
        'the contact already has an active thread; send into it or close it first',
        `channels.${req.channel}.rules.single_open_thread`,
        e.details,
      )
    }
    throw e
  }
}

/** A thread, or `not_found`. */
export async function mustThread(svc: Services, id: string): Promise<ThreadRecord> {
  const t = await svc.store.threads.get(id)
  if (!t) throw notFound('thread', id)
  return t
}

/** A thread with its events, oldest first. */
export async function threadWithEvents(
  svc: Services,
  id: string,
): Promise<{ thread: ThreadRecord; events: ThreadEventRecord[] }> {
  const thread = await mustThread(svc, id)
  return { thread, events: await svc.store.threads.events(thread.id) }
}

/** Closes a thread; `closing.unassign` of its channel decides unless `unassign` is given. */
export async function closeThread(
  svc: Services,
  id: string,
  unassign: boolean | undefined,
  actor: string,
): Promise<ThreadRecord> {
  const t = await mustThread(svc, id)
  const now = svc.now().toISOString()
  const out = await svc.store.threads.close(
    t.id,
    unassign ?? svc.config().channels[t.channel]?.info.rules.closing.unassign ?? true,
    actor,
    now,
    svc.events(
      'thread.closed',
      { thread_id: t.id, contact_id: t.contact_id, channel: t.channel, by: actor },
      now,
    ),
  )
  if (out) svc.live.publish(threadEvent('thread.closed', out, actor, now))
  return out ?? t
}

/** Snoozes an active thread until a time in the future; the waker reopens it then. */
export async function snoozeThread(
  svc: Services,
  id: string,
  untilText: string,
  actor: string,
): Promise<ThreadRecord> {
  const t = await mustThread(svc, id)
  const until = new Date(untilText)
  const now = svc.now()
  if (until.getTime() <= now.getTime())
    throw apiError('invalid_field', 'until: must be in the future', { field: 'until' })
  if (t.status === 'closed')
    throw apiError('thread_closed', `thread ${t.id} is closed; reopen it by sending a message`, {
      thread_id: t.id,
    })
  const at = now.toISOString()
  const out = await svc.store.threads.snooze(
    t.id,
    until.toISOString(),
    actor,
    at,
    svc.events(
      'thread.snoozed',
      { thread_id: t.id, contact_id: t.contact_id, until: until.toISOString(), by: actor },
      at,
    ),
  )
  if (out) svc.live.publish(threadEvent('thread.snoozed', out, actor, at))
  svc.kick()
  return out ?? t
}

/** Assigns a thread to an agent key id (null: unassigns). */
export async function assignThread(
  svc: Services,
  id: string,
  agent: string | null,
  actor: string,
): Promise<ThreadRecord> {
  const t = await mustThread(svc, id)
  const at = svc.now().toISOString()
  const out = await svc.store.threads.assign(
    t.id,
    agent,
    actor,
    at,
    svc.events(
      'thread.assigned',
      { thread_id: t.id, contact_id: t.contact_id, assignee: agent, by: actor },
      at,
    ),
  )
  if (out) svc.live.publish(threadEvent('thread.assigned', out, actor, at))
  return out ?? t
}

/** Replaces a thread's tags, each checked against the channel's allowed list. */
export async function setThreadTags(
  svc: Services,
  id: string,
  tags: readonly string[],
  actor: string,
): Promise<ThreadRecord> {
  const t = await mustThread(svc, id)
  const ch = svc.config().channels[t.channel]
  const unknownTag = ch ? checkTagsAllowed(ch.info, tags) : null
  if (unknownTag) throw refusal(unknownTag)
  const out = await svc.store.threads.setTags(
    t.id,
    [...new Set(tags)],
    actor,
    svc.now().toISOString(),
    [],
  )
  if (out) svc.live.publish(threadEvent('thread.tagged', out, actor, out.updated_at))
  return out ?? t
}
