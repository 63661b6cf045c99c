/** Contacts: create, search, read, update, eligibility, timeline (DESIGN §6). */
import type { z } from 'zod'
import { evaluate, normalizeAddress } from '../../../rules/index.js'
import { StoreConflict } from '../../../store/types.js'
import { apiError, notFound, ruleError } from '../../errors.js'
import { newId } from '../../ids.js'
import { contactFacts, identityFacts, threadFacts } from '../../outbound.js'
import type { Services } from '../../services.js'
import { contactView, eventView, messageView } from '../../views.js'
import type { JsonResult, RouteInput } from '../route.js'
import type { contactCreate, contactPatch, contactQuery, pageQuery } from '../schemas.js'

type In<B, Q = unknown> = RouteInput<B, Q>

export const createContact =
  (svc: Services) =>
  (i: In<z.infer<typeof contactCreate>>): JsonResult => {
    const b = i.body
    const identities = (b.identities ?? []).map((id, n) => {
      const ch = svc.config().channels[id.channel]
      if (!ch)
        throw ruleError(
          'channel_unknown',
          `identities[${n}].channel: no channel named ${id.channel}`,
          `channels.${id.channel}`,
          { field: `identities[${n}].channel` },
        )
      const norm = normalizeAddress(ch.info.addressKind, id.address)
      if (!norm.ok)
        throw ruleError(
          'address_invalid',
          `identities[${n}].address: ${norm.reason}`,
          `channels.${id.channel}.type`,
          { field: `identities[${n}].address` },
        )
      return { id: newId('id'), channel: id.channel, address: norm.address }
    })
    const phone = normalizeContactPhone(b.phone)
    const email = normalizeContactEmail(b.email)
    try {
      const c = svc.store.contacts.create(
        {
          id: newId('ct'),
          first_name: b.first_name ?? null,
          last_name: b.last_name ?? null,
          email,
          phone,
          external_id: b.external_id ?? null,
          attributes: b.attributes ?? {},
          blocked: b.blocked ?? false,
        },
        identities,
        svc.now().toISOString(),
      )
      return { status: 201, body: contactView(c, svc.store.identities.listByContact(c.id)) }
    } catch (e) {
      throw conflict(e)
    }
  }

export const searchContacts =
  (svc: Services) =>
  (i: In<unknown, z.infer<typeof contactQuery>>): JsonResult => {
    const q = i.query
    const assignee = q.assignee === 'me' ? (i.caller?.id ?? 'me') : q.assignee
    const page = svc.store.contacts.search({ ...q, assignee, limit: q.limit })
    return {
      status: 200,
      body: {
        items: page.items.map((c) => contactView(c, svc.store.identities.listByContact(c.id))),
        next_cursor: page.next_cursor,
      },
    }
  }

export const getContact =
  (svc: Services) =>
  (i: In<unknown>): JsonResult => {
    const c = mustContact(svc, i.params.id ?? '')
    return { status: 200, body: contactView(c, svc.store.identities.listByContact(c.id)) }
  }

export const patchContact =
  (svc: Services) =>
  (i: In<z.infer<typeof contactPatch>>): JsonResult => {
    const b = i.body
    const patch = {
      ...b,
      ...(b.phone !== undefined ? { phone: normalizeContactPhone(b.phone) } : {}),
      ...(b.email !== undefined ? { email: normalizeContactEmail(b.email) } : {}),
    }
    try {
      const c = svc.store.contacts.update(i.params.id ?? '', patch, svc.now().toISOString())
      if (!c) throw notFound('contact', i.params.id ?? '')
      return { status: 200, body: contactView(c, svc.store.identities.listByContact(c.id)) }
    } catch (e) {
      throw conflict(e)
    }
  }

/** "May I message this contact on channel X, and what?" for every channel it can be reached on. */
export const eligibility =
  (svc: Services) =>
  (i: In<unknown>): JsonResult => {
    const c = mustContact(svc, i.params.id ?? '')
    const config = svc.config()
    const identities = svc.store.identities.listByContact(c.id)
    const open = svc.store.threads.listActiveByContact(c.id).map(threadFacts)
    const now = svc.now()
    const channels = Object.values(config.channels).filter((ch) => {
      const kind = ch.info.addressKind
      return (
        identities.some((id) => id.channel === ch.info.name) ||
        (kind === 'email' && c.email) ||
        (kind === 'phone' && c.phone)
      )
    })
    const items = channels.map((ch) => {
      const identity = identities.find((id) => id.channel === ch.info.name) ?? null
      const d = evaluate({
        channel: ch.info,
        channelName: ch.info.name,
        contact: contactFacts(c),
        identity: identity ? identityFacts(identity) : null,
        openThreads: open,
        targetThread: null,
        content: {
          text: '.',
          attachments: [],
          template: null,
          variables: {},
          email: null,
          tags: [],
        },
        templates: config.templates,
        now,
      })
      // A text refused only because the window wants a template is still a channel one can use.
      const canSend = d.allowed || d.code === 'template_required' || d.code === 'tags_required'
      return {
        channel: ch.info.name,
        type: ch.info.type,
        address: d.address ?? identity?.address ?? null,
        can_send: canSend,
        allowed_kinds: d.allowed_kinds,
        code: d.code ?? null,
        reason: d.allowed ? null : d.message,
        rule: d.rule ?? null,
        window_expires_at: d.window_expires_at ?? null,
        thread_id: d.reuseThreadId ?? (d.details?.thread_id as string | undefined) ?? null,
      }
    })
    return { status: 200, body: { contact_id: c.id, channels: items } }
  }

export const timeline =
  (svc: Services) =>
  (i: In<unknown, z.infer<typeof pageQuery>>): JsonResult => {
    const c = mustContact(svc, i.params.id ?? '')
    const page = svc.store.messages.timeline(c.id, i.query.limit, i.query.cursor)
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

function mustContact(svc: Services, id: string) {
  const c = svc.store.contacts.get(id)
  if (!c) throw notFound('contact', id)
  return c
}

function normalizeContactPhone(phone: string | null | undefined): string | null {
  if (phone === undefined || phone === null || phone.trim() === '') return null
  const n = normalizeAddress('phone', phone)
  if (!n.ok) throw apiError('invalid_field', `phone: ${n.reason}`, { field: 'phone' })
  return n.address
}

function normalizeContactEmail(email: string | null | undefined): string | null {
  if (email === undefined || email === null || email.trim() === '') return null
  const n = normalizeAddress('email', email)
  if (!n.ok) throw apiError('invalid_field', `email: ${n.reason}`, { field: 'email' })
  return n.address
}

function conflict(e: unknown): unknown {
  if (e instanceof StoreConflict && e.code === 'identity_taken') {
    return apiError(
      'identity_taken',
      'another contact already has this address on that channel',
      e.details,
    )
  }
  if (e instanceof StoreConflict && e.code === 'external_id_taken') {
    return apiError('external_id_taken', 'another contact already has this external_id', e.details)
  }
  return e
}
