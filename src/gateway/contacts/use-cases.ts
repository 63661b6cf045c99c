/**
 * Contacts (DESIGN §1.1, §6): create (with identities, each address normalised for its channel),
 * update, read. Phone and email are normalised as the rules do; the store's uniqueness guards are
 * mapped to `identity_taken` / `external_id_taken`.
 */
import { normalizeAddress } from '../../rules/index.js'
import { StoreConflict, type ContactRecord, type IdentityRecord } from '../../store/types.js'
import { apiError, notFound, ruleError } from '../errors.js'
import type { ContactCreate, ContactPatchBody } from '../http/schemas.js'
import { newId } from '../ids.js'
import type { Services } from '../services.js'
import { liveContact } from './merged.js'

/** A contact with its identities, as the views want them. */
export interface ContactWithIdentities {
  contact: ContactRecord
  identities: IdentityRecord[]
}

/** `POST /v1/contacts`: the contact and its identities in one go. */
export async function createContact(
  svc: Services,
  b: ContactCreate,
): Promise<ContactWithIdentities> {
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
    const c = await svc.store.contacts.create(
      {
        id: newId('ct'),
        first_name: b.first_name ?? null,
        last_name: b.last_name ?? null,
        email,
        phone,
        external_id: b.external_id ?? null,
        attributes: b.attributes ?? {},
        blocked: b.blocked ?? false,
        timezone: b.timezone ?? null,
      },
      identities,
      svc.now().toISOString(),
    )
    return await withIdentities(svc, c)
  } catch (e) {
    throw conflict(e)
  }
}

/** `PATCH /v1/contacts/{id}`: the given fields; `phone` and `email` normalised. */
export async function updateContact(
  svc: Services,
  id: string,
  b: ContactPatchBody,
): Promise<ContactWithIdentities> {
  const patch = {
    ...b,
    ...(b.phone !== undefined ? { phone: normalizeContactPhone(b.phone) } : {}),
    ...(b.email !== undefined ? { email: normalizeContactEmail(b.email) } : {}),
  }
  // Addressed to a merged contact: the survivor is changed (DESIGN §15).
  const live = await liveContact(svc, id)
  try {
    const c = await svc.store.contacts.update(live.id, patch, svc.now().toISOString())
    if (!c) throw notFound('contact', id)
    return await withIdentities(svc, c)
  } catch (e) {
    throw conflict(e)
  }
}

export { liveContact, mustContact } from './merged.js'

export async function withIdentities(
  svc: Services,
  c: ContactRecord,
): Promise<ContactWithIdentities> {
  return { contact: c, identities: await svc.store.identities.listByContact(c.id) }
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
