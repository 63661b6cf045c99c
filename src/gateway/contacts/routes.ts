/** Contacts: create, search, read, update, eligibility, timeline (DESIGN §6). */
import type { z } from 'zod'
import { eligibility as eligibleOn, normalizeAddress } from '../../../rules/index.js'
import { StoreConflict } from '../../../store/types.js'
import { apiError, notFound, ruleError } from '../../errors.js'
import { newId } from '../../ids.js'
import { contactChannelFacts } from '../../send-facts.js'
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
    const items = contactChannelFacts(svc, c, svc.now()).map(({ channel, identity, facts }) => {
      const e = eligibleOn(facts)
      return {
        channel: channel.name,
        type: channel.type,
        address: e.address ?? identity?.address ?? null,
        can_send: e.can_send,
        allowed_kinds: e.allowed_kinds,
        code: e.code ?? null,
        reason: e.message ?? null,
        rule: e.rule ?? null,
        window_expires_at: e.window_expires_at ?? null,
        thread_id: e.thread_id ?? null,
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
