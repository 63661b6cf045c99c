/**
 * Web Push registration (DESIGN §6): the public VAPID key for a site's script, the `user_hash`
 * check (HMAC(channel secret, external_id), so nobody can subscribe as someone else), and the
 * subscription itself, which makes the person a contact-first identity — the contact found by
 * `external_id` or created.
 */
import type { z } from 'zod'
import { parseSubscription, subscriptionAddress } from '../../connectors/webpush/subscription.js'
import { verifyUserHash } from '../../connectors/webpush/user-hash.js'
import { normalizeAddress } from '../../rules/index.js'
import { apiError } from '../errors.js'
import type { subscriptionBody } from '../http/schemas.js'
import { newId } from '../ids.js'
import { checkPublicUrl } from '../net/url-guard.js'
import { liveContact } from '../contacts/merged.js'
import type { Services } from '../services.js'
import { channelOfType } from './channel-of-type.js'

/** The VAPID public key of the Web Push channel `name`; `channel_not_ready` until it has one. */
export function pushPublicKey(svc: Services, name: string): string {
  channelOfType(svc, name, 'webpush')
  const key = svc.channels.get(name)?.capabilities.vapidPublicKey?.() ?? null
  if (!key) {
    throw apiError(
      'channel_not_ready',
      `channel ${name} is ${svc.channels.state(name).state}; its VAPID key is not available yet`,
    )
  }
  return key
}

/** Checks `user_hash` in the raw body before the body is trusted: a wrong hash is a 401 and nothing more. */
export function checkUserHash(svc: Services, name: string, raw: Buffer): void {
  const ch = channelOfType(svc, name, 'webpush')
  let parsed: { external_id?: unknown; user_hash?: unknown } = {}
  try {
    const json: unknown = JSON.parse(raw.toString('utf8'))
    // `null`, a number or an array is no subscription: the hash check below fails on it.
    if (json !== null && typeof json === 'object') parsed = json
  } catch {
    // not JSON: the hash check below fails, a 401 like any unauthenticated body
  }
  const secret = ch.settings.secret
  const ok =
    typeof parsed.external_id === 'string' &&
    typeof parsed.user_hash === 'string' &&
    secret !== '' &&
    verifyUserHash(secret, parsed.external_id, parsed.user_hash)
  if (!ok)
    throw apiError(
      'signature_invalid',
      'user_hash does not match: it must be hex HMAC-SHA256(channel secret, external_id), computed by your backend',
    )
}

/**
 * Registers a subscription on the Web Push channel `name`: a known one opts its identity in again
 * (`created: false`), a new one becomes an identity of the contact with this `external_id`,
 * created when there is none.
 */
export async function subscribe(
  svc: Services,
  name: string,
  b: z.infer<typeof subscriptionBody>,
): Promise<{ contactId: string; created: boolean }> {
  const allowPrivate = svc.config().security.allow_private_urls
  const sub = parseSubscription(b.subscription, { allowHttp: allowPrivate })
  if (!sub.ok)
    throw apiError('invalid_field', `subscription: ${sub.error}`, { field: 'subscription' })
  const guard = await checkPublicUrl(b.subscription.endpoint, { allowPrivate })
  if (!guard.ok)
    throw apiError('url_forbidden', `subscription.endpoint: ${guard.reason}`, {
      field: 'subscription.endpoint',
    })
  const address = subscriptionAddress(sub.subscription)
  const now = svc.now().toISOString()
  const known = await svc.store.identities.find(name, address)
  if (known) {
    await svc.store.identities.optIn(
      known.contact_id,
      { id: known.id, channel: name, address },
      now,
    )
    return { contactId: known.contact_id, created: false }
  }
  let email: string | null = null
  if (b.email) {
    const n = normalizeAddress('email', b.email)
    if (!n.ok) throw apiError('invalid_field', `email: ${n.reason}`, { field: 'email' })
    email = n.address
  }
  let contact = await svc.store.contacts.findByExternalId(b.external_id)
  // Merged into another (DESIGN §15): the subscription is the survivor's.
  if (contact?.merged_into) contact = await liveContact(svc, contact.id)
  contact ??= await svc.store.contacts.create(
    {
      id: newId('ct'),
      external_id: b.external_id,
      first_name: b.first_name ?? null,
      last_name: b.last_name ?? null,
      email,
    },
    [],
    now,
  )
  await svc.store.identities.optIn(contact.id, { id: newId('id'), channel: name, address }, now)
  return { contactId: contact.id, created: true }
}
