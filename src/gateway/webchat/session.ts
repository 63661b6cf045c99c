/**
 * `POST /v1/channels/{name}/webchat/session` (DESIGN §12): the visitor proves who they are with
 * the site's `user_hash`, and gets a short-lived token for the other widget endpoints. The first
 * connect creates the identity (channel, external_id) — on the contact with that `external_id`, or
 * a new one — and counts as the visitor writing first (contact-first is satisfied); every connect
 * fills the contact's empty name and email fields from the request and publishes `webchat.opened`.
 */
import { signToken, TOKEN_TTL_MS } from '../../connectors/webchat/token.js'
import { verifyUserHash } from '../../connectors/webpush/user-hash.js'
import { normalizeAddress } from '../../rules/index.js'
import { StoreConflict, type ContactPatch, type ContactRecord } from '../../store/types.js'
import { apiError } from '../errors.js'
import { newId } from '../ids.js'
import { liveEvent } from '../live/index.js'
import type { Services } from '../services.js'
import type { SessionBody } from './schemas.js'
import { spendVisitorBudget, webchatChannel } from './visitor.js'

/** Checks `user_hash` in the raw body before the body is trusted: 401 `user_hash_invalid`. */
export function checkSessionHash(svc: Services, name: string, raw: Buffer): void {
  const ch = webchatChannel(svc, name)
  let parsed: { external_id?: unknown; user_hash?: unknown } = {}
  try {
    const json: unknown = JSON.parse(raw.toString('utf8'))
    if (json !== null && typeof json === 'object') parsed = json
  } catch {
    // not JSON: the check below fails, a 401 like any unauthenticated body
  }
  const ok =
    typeof parsed.external_id === 'string' &&
    typeof parsed.user_hash === 'string' &&
    verifyUserHash(ch.settings.secret, parsed.external_id, parsed.user_hash)
  if (!ok)
    throw apiError(
      'user_hash_invalid',
      'user_hash does not match: it must be hex HMAC-SHA256(channel secret, external_id), computed by your backend',
    )
  spendVisitorBudget(svc, name, `x:${String(parsed.external_id)}`)
}

export interface SessionOpened {
  token: string
  expires_at: string
  contact_id: string
  thread_id?: string
}

export async function openSession(
  svc: Services,
  name: string,
  b: SessionBody,
): Promise<SessionOpened> {
  const ch = webchatChannel(svc, name)
  const now = svc.now()
  const at = now.toISOString()
  let email: string | null = null
  if (b.email) {
    const n = normalizeAddress('email', b.email)
    if (!n.ok) throw apiError('invalid_field', `email: ${n.reason}`, { field: 'email' })
    email = n.address
  }
  const known = await svc.store.identities.find(name, b.external_id)
  const contact = known
    ? await svc.store.contacts.get(known.contact_id)
    : await contactFor(svc, b.external_id, at)
  if (!contact) throw apiError('not_found', `the contact of ${b.external_id} no longer exists`)
  // A connect is the visitor showing up: reachable again, and contact-first satisfied.
  await svc.store.identities.optIn(
    contact.id,
    { id: known?.id ?? newId('id'), channel: name, address: b.external_id },
    at,
  )
  const patch = emptyFieldsPatch(contact, {
    first_name: b.first_name,
    last_name: b.last_name,
    email,
  })
  if (patch) await svc.store.contacts.update(contact.id, patch, at)
  const active = await svc.store.threads.listActiveByContact(contact.id)
  const threadId = active.find((t) => t.channel === name)?.id
  const expiresAt = now.getTime() + TOKEN_TTL_MS
  const token = signToken(ch.settings.secret, {
    channel: name,
    contactId: contact.id,
    externalId: b.external_id,
    expiresAt,
  })
  svc.live.publish([
    liveEvent(
      'webchat.opened',
      { contact_id: contact.id, channel: name, thread_id: threadId ?? null, first_visit: !known },
      at,
    ),
  ])
  return {
    token,
    expires_at: new Date(expiresAt).toISOString(),
    contact_id: contact.id,
    ...(threadId ? { thread_id: threadId } : {}),
  }
}

/** The contact with this external id, or a new one (a concurrent first connect: theirs). */
async function contactFor(
  svc: Services,
  externalId: string,
  at: string,
): Promise<ContactRecord | null> {
  const found = await svc.store.contacts.findByExternalId(externalId)
  if (found) return found
  try {
    return await svc.store.contacts.create({ id: newId('ct'), external_id: externalId }, [], at)
  } catch (e) {
    if (e instanceof StoreConflict) return svc.store.contacts.findByExternalId(externalId)
    throw e
  }
}

/** Only the fields the contact lacks: a visitor's page never overwrites what agents know. */
function emptyFieldsPatch(
  c: ContactRecord,
  given: {
    first_name?: string | null | undefined
    last_name?: string | null | undefined
    email: string | null
  },
): ContactPatch | null {
  const patch: ContactPatch = {}
  if (!c.first_name && given.first_name) patch.first_name = given.first_name
  if (!c.last_name && given.last_name) patch.last_name = given.last_name
  if (!c.email && given.email) patch.email = given.email
  return Object.keys(patch).length > 0 ? patch : null
}
