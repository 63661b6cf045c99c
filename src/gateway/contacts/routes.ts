/** The contact routes' handlers: create, search, read, update, eligibility, timeline (DESIGN §6). */
import type { z } from 'zod'
import type { JsonResult, RouteInput } from '../http/route.js'
import type {
  contactCreate,
  contactMerge,
  contactPatch,
  contactQuery,
  pageQuery,
} from '../http/schemas.js'
import type { Services } from '../services.js'
import { contactView, eventView, messageView } from '../views.js'
import { contactEligibility } from './eligibility.js'
import { mergeContacts } from './merge.js'
import {
  createContact as create,
  mustContact,
  updateContact,
  withIdentities,
  type ContactWithIdentities,
} from './use-cases.js'

type In<B, Q = unknown> = RouteInput<B, Q>

const view = ({ contact, identities }: ContactWithIdentities) => contactView(contact, identities)

export const createContact =
  (svc: Services) =>
  async (i: In<z.infer<typeof contactCreate>>): Promise<JsonResult> => ({
    status: 201,
    body: view(await create(svc, i.body)),
  })

export const searchContacts =
  (svc: Services) =>
  async (i: In<unknown, z.infer<typeof contactQuery>>): Promise<JsonResult> => {
    const q = i.query
    const assignee = q.assignee === 'me' ? (i.caller?.id ?? 'me') : q.assignee
    const page = await svc.store.contacts.search({ ...q, assignee, limit: q.limit })
    // The page's identities in one read, not one per contact (P4).
    const identities = await svc.store.identities.listByContacts(page.items.map((c) => c.id))
    return {
      status: 200,
      body: {
        items: page.items.map((contact) =>
          view({ contact, identities: identities.get(contact.id) ?? [] }),
        ),
        next_cursor: page.next_cursor,
      },
    }
  }

export const getContact =
  (svc: Services) =>
  async (i: In<unknown>): Promise<JsonResult> => ({
    status: 200,
    body: view(await withIdentities(svc, await mustContact(svc, i.params.id ?? ''))),
  })

export const patchContact =
  (svc: Services) =>
  async (i: In<z.infer<typeof contactPatch>>): Promise<JsonResult> => ({
    status: 200,
    body: view(await updateContact(svc, i.params.id ?? '', i.body)),
  })

/** `POST /v1/contacts/{id}/merge`: the survivor as GET answers it, and the ids merged into it. */
export const mergeContact =
  (svc: Services) =>
  async (i: In<z.infer<typeof contactMerge>>): Promise<JsonResult> => {
    const actor = i.caller?.id ?? 'system'
    const out = await mergeContacts(svc, i.params.id ?? '', i.body.from, actor)
    return {
      status: 200,
      body: { ...view(await withIdentities(svc, out.contact)), merged: out.merged },
    }
  }

/** "May I message this contact on channel X, and what?" for every channel it can be reached on. */
export const eligibility =
  (svc: Services) =>
  async (i: In<unknown>): Promise<JsonResult> => ({
    status: 200,
    body: await contactEligibility(svc, i.params.id ?? ''),
  })

export const timeline =
  (svc: Services) =>
  async (i: In<unknown, z.infer<typeof pageQuery>>): Promise<JsonResult> => {
    const c = await mustContact(svc, i.params.id ?? '')
    const page = await svc.store.messages.timeline(c.id, i.query.limit, i.query.cursor)
    return {
      status: 200,
      body: {
        items: page.items.map((it) =>
          it.kind === 'message'
            ? {
                kind: 'message',
                at: it.at,
                direction: it.message.direction,
                message: messageView(it.message),
              }
            : { kind: 'event', at: it.at, event: eventView(it.event) },
        ),
        next_cursor: page.next_cursor,
      },
    }
  }
