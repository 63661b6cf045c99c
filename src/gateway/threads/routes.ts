/** The thread routes' handlers: start, list, read, and the agent actions close / snooze / assign / tags. */
import type { z } from 'zod'
import type { JsonResult, RouteInput } from '../http/route.js'
import type {
  assignBody,
  closeBody,
  pageQuery,
  snoozeBody,
  tagsBody,
  threadCreate,
  threadQuery,
} from '../http/schemas.js'
import type { Services } from '../services.js'
import { eventView, messageView, threadView } from '../views.js'
import {
  assignThread as assign,
  closeThread as close,
  mustThread,
  setThreadTags,
  snoozeThread as snooze,
  startThread,
  threadWithEvents,
} from './use-cases.js'

type In<B, Q = unknown> = RouteInput<B, Q>

export const createThread =
  (svc: Services) =>
  async (i: In<z.infer<typeof threadCreate>>): Promise<JsonResult> => ({
    status: 201,
    body: threadView(await startThread(svc, i.body, i.caller)),
  })

export const listThreads =
  (svc: Services) =>
  async (i: In<unknown, z.infer<typeof threadQuery>>): Promise<JsonResult> => {
    const q = i.query
    const assignee = q.assignee === 'me' ? i.caller?.id : q.assignee
    const page = await svc.store.threads.list({ ...q, assignee, limit: q.limit })
    return {
      status: 200,
      body: { items: page.items.map(threadView), next_cursor: page.next_cursor },
    }
  }

export const getThread =
  (svc: Services) =>
  async (i: In<unknown>): Promise<JsonResult> => {
    const { thread, events } = await threadWithEvents(svc, i.params.id ?? '')
    return { status: 200, body: { ...threadView(thread), events: events.map(eventView) } }
  }

export const threadMessages =
  (svc: Services) =>
  async (i: In<unknown, z.infer<typeof pageQuery>>): Promise<JsonResult> => {
    const t = await mustThread(svc, i.params.id ?? '')
    const page = await svc.store.messages.listByThread(t.id, i.query.limit, i.query.cursor)
    return {
      status: 200,
      body: { items: page.items.map(messageView), next_cursor: page.next_cursor },
    }
  }

export const closeThread =
  (svc: Services) =>
  async (i: In<z.infer<typeof closeBody>>): Promise<JsonResult> => ({
    status: 200,
    body: threadView(await close(svc, i.params.id ?? '', i.body.unassign, actor(i))),
  })

export const snoozeThread =
  (svc: Services) =>
  async (i: In<z.infer<typeof snoozeBody>>): Promise<JsonResult> => ({
    status: 200,
    body: threadView(await snooze(svc, i.params.id ?? '', i.body.until, actor(i))),
  })

export const assignThread =
  (svc: Services) =>
  async (i: In<z.infer<typeof assignBody>>): Promise<JsonResult> => {
    const agent = i.body.agent === 'me' ? actor(i) : i.body.agent
    return { status: 200, body: threadView(await assign(svc, i.params.id ?? '', agent, actor(i))) }
  }

export const setTags =
  (svc: Services) =>
  async (i: In<z.infer<typeof tagsBody>>): Promise<JsonResult> => ({
    status: 200,
    body: threadView(await setThreadTags(svc, i.params.id ?? '', i.body.tags, actor(i))),
  })

/** Who acts: the calling key, or `system`. */
function actor(i: In<unknown>): string {
  return i.caller?.id ?? 'system'
}
