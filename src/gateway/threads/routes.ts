/** Threads: start, list, read, and the agent actions close / snooze / assign / tags. */
import type { z } from 'zod'
import { checkTagsAllowed, strictSingleOpen } from '../../../rules/index.js'
import { StoreConflict, type ThreadRecord } from '../../../store/types.js'
import { apiError, notFound, ruleError } from '../../errors.js'
import { newId } from '../../ids.js'
import { refusal } from '../../outbound.js'
import type { Services } from '../../services.js'
import { eventView, messageView, threadView } from '../../views.js'
import type { JsonResult, RouteInput } from '../route.js'
import type {
  assignBody,
  closeBody,
  pageQuery,
  snoozeBody,
  tagsBody,
  threadCreate,
  threadQuery,
} from '../schemas.js'

type In<B, Q = unknown> = RouteInput<B, Q>

export const createThread =
  (svc: Services) =>
  (i: In<z.infer<typeof threadCreate>>): JsonResult => {
    const b = i.body
    if (!svc.store.contacts.get(b.contact_id)) throw notFound('contact', b.contact_id)
    const ch = svc.config().channels[b.channel]
    if (!ch)
      throw ruleError('channel_unknown', `no channel named ${b.channel}`, `channels.${b.channel}`, {
        field: 'channel',
      })
    const unknownTag = checkTagsAllowed(ch.info, b.tags ?? [])
    if (unknownTag) throw refusal(unknownTag)
    const now = svc.now().toISOString()
    const agent = i.caller && i.caller.role !== 'app' ? i.caller.id : null
    const id = newId('th')
    const singleOpen = strictSingleOpen(ch.info.rules)
    try {
      const t = svc.store.threads.create(
        { id, contact_id: b.contact_id, channel: b.channel, assignee: agent, tags: b.tags ?? [] },
        singleOpen,
        i.caller?.id ?? 'system',
        now,
        svc.events(
          'thread.opened',
          { thread_id: id, contact_id: b.contact_id, channel: b.channel, by: i.caller?.id ?? null },
          now,
        ),
      )
      return { status: 201, body: threadView(t) }
    } catch (e) {
      if (e instanceof StoreConflict && e.code === 'thread_conflict') {
        throw ruleError(
          'thread_conflict',
          'the contact already has an active thread; send into it or close it first',
          `channels.${b.channel}.rules.single_open_thread`,
          e.details,
        )
      }
      throw e
    }
  }

export const listThreads =
  (svc: Services) =>
  (i: In<unknown, z.infer<typeof threadQuery>>): JsonResult => {
    const q = i.query
    const assignee = q.assignee === 'me' ? i.caller?.id : q.assignee
    const page = svc.store.threads.list({ ...q, assignee, limit: q.limit })
    return {
      status: 200,
      body: { items: page.items.map(threadView), next_cursor: page.next_cursor },
    }
  }

export const getThread =
  (svc: Services) =>
  (i: In<unknown>): JsonResult => {
    const t = mustThread(svc, i.params.id ?? '')
    return {
      status: 200,
      body: { ...threadView(t), events: svc.store.threads.events(t.id).map(eventView) },
    }
  }

export const threadMessages =
  (svc: Services) =>
  (i: In<unknown, z.infer<typeof pageQuery>>): JsonResult => {
    const t = mustThread(svc, i.params.id ?? '')
    const page = svc.store.messages.listByThread(t.id, i.query.limit, i.query.cursor)
    return {
      status: 200,
      body: { items: page.items.map(messageView), next_cursor: page.next_cursor },
    }
  }

export const closeThread =
  (svc: Services) =>
  (i: In<z.infer<typeof closeBody>>): JsonResult => {
    const t = mustThread(svc, i.params.id ?? '')
    const now = svc.now().toISOString()
    // `closing.unassign` of the thread's channel decides unless the request says otherwise.
    const unassign =
      i.body.unassign ?? svc.config().channels[t.channel]?.info.rules.closing.unassign ?? true
    const out = svc.store.threads.close(
      t.id,
      unassign,
      actor(i),
      now,
      svc.events(
        'thread.closed',
        { thread_id: t.id, contact_id: t.contact_id, channel: t.channel, by: actor(i) },
        now,
      ),
    )
    return { status: 200, body: threadView(out ?? t) }
  }

export const snoozeThread =
  (svc: Services) =>
  (i: In<z.infer<typeof snoozeBody>>): JsonResult => {
    const t = mustThread(svc, i.params.id ?? '')
    const until = new Date(i.body.until)
    const now = svc.now()
    if (until.getTime() <= now.getTime())
      throw apiError('invalid_field', 'until: must be in the future', { field: 'until' })
    if (t.status === 'closed')
      throw apiError('thread_closed', `thread ${t.id} is closed; reopen it by sending a message`, {
        thread_id: t.id,
      })
    const at = now.toISOString()
    const out = svc.store.threads.snooze(
      t.id,
      until.toISOString(),
      actor(i),
      at,
      svc.events(
        'thread.snoozed',
        { thread_id: t.id, contact_id: t.contact_id, until: until.toISOString(), by: actor(i) },
        at,
      ),
    )
    svc.kick()
    return { status: 200, body: threadView(out ?? t) }
  }

export const assignThread =
  (svc: Services) =>
  (i: In<z.infer<typeof assignBody>>): JsonResult => {
    const t = mustThread(svc, i.params.id ?? '')
    const agent = i.body.agent === 'me' ? actor(i) : i.body.agent
    const at = svc.now().toISOString()
    const out = svc.store.threads.assign(
      t.id,
      agent,
      actor(i),
      at,
      svc.events(
        'thread.assigned',
        { thread_id: t.id, contact_id: t.contact_id, assignee: agent, by: actor(i) },
        at,
      ),
    )
    return { status: 200, body: threadView(out ?? t) }
  }

export const setTags =
  (svc: Services) =>
  (i: In<z.infer<typeof tagsBody>>): JsonResult => {
    const t = mustThread(svc, i.params.id ?? '')
    const ch = svc.config().channels[t.channel]
    const unknownTag = ch ? checkTagsAllowed(ch.info, i.body.tags) : null
    if (unknownTag) throw refusal(unknownTag)
    const tags = [...new Set(i.body.tags)]
    const out = svc.store.threads.setTags(t.id, tags, actor(i), svc.now().toISOString(), [])
    return { status: 200, body: threadView(out ?? t) }
  }

function mustThread(svc: Services, id: string): ThreadRecord {
  const t = svc.store.threads.get(id)
  if (!t) throw notFound('thread', id)
  return t
}

function actor(i: In<unknown>): string {
  return i.caller?.id ?? 'system'
}
