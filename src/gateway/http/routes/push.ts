/**
 * Web Push registration (DESIGN §6): the public VAPID key for a site's script, and subscriptions
 * registered by the site with `user_hash` = HMAC(channel secret, external_id), so nobody can
 * subscribe as someone else. A subscription makes the person a contact-first identity.
 */
import type { Context } from 'hono'
import type { z } from 'zod'
import { parseSubscription, subscriptionAddress } from '../../../connectors/webpush/subscription.js'
import { verifyUserHash } from '../../../connectors/webpush/user-hash.js'
import { normalizeAddress } from '../../../rules/index.js'
import { apiError, notFound, ruleError } from '../../errors.js'
import { newId } from '../../ids.js'
import { checkPublicUrl } from '../../net/url-guard.js'
import type { Services } from '../../services.js'
import type { JsonResult, RouteInput } from '../route.js'
import type { subscriptionBody } from '../schemas.js'
import { channelOfType } from './channels.js'

/** A site on another origin fetches the key from its page. */
const CORS = { 'access-control-allow-origin': '*' }

export const pushKey =
  (svc: Services) =>
  (i: RouteInput<unknown, unknown>): JsonResult => {
    const name = i.params.name ?? ''
    channelOfType(svc, name, 'webpush')
    const key = svc.channels.get(name)?.capabilities.vapidPublicKey?.() ?? null
    if (!key) {
      throw apiError(
        'channel_not_ready',
        `channel ${name} is ${svc.channels.state(name).state}; its VAPID key is not available yet`,
      )
    }
    return { status: 200, body: { vapid_public_key: key }, headers: CORS }
  }

/** Checks `user_hash` before the body is trusted: a wrong hash is a 401 and nothing more. */
export const subscriptionHash =
  (svc: Services) =>
  (x: { c: Context; raw: Buffer; params: Record<string, string> }): void => {
    const ch = channelOfType(svc, x.params.name ?? '', 'webpush')
    let parsed: { external_id?: unknown; user_hash?: unknown } = {}
    try {
      const json: unknown = JSON.parse(x.raw.toString('utf8'))
      // `null`, a number or an array is no subscription: the hash check below fails on it.
      if (json !== null && typeof json === 'object') parsed = json as typeof parsed
    } catch {
      // not JSON: the hash check below fails, a 401 like any unauthenticated body
    }
    const secret = String(ch.settings.secret ?? '')
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

export const subscribe =
  (svc: Services) =>
  async (i: RouteInput<z.infer<typeof subscriptionBody>, unknown>): Promise<JsonResult> => {
    const name = i.params.name ?? ''
    const b = i.body
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
    const known = svc.store.identities.find(name, address)
    if (known) {
      svc.store.identities.optIn(known.contact_id, { id: known.id, channel: name, address }, now)
      return { status: 200, body: { contact_id: known.contact_id }, headers: CORS }
    }
    let email: string | null = null
    if (b.email) {
      const n = normalizeAddress('email', b.email)
      if (!n.ok) throw apiError('invalid_field', `email: ${n.reason}`, { field: 'email' })
      email = n.address
    }
    let contact = svc.store.contacts.findByExternalId(b.external_id)
    contact ??= svc.store.contacts.create(
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
    svc.store.identities.optIn(contact.id, { id: newId('id'), channel: name, address }, now)
    return { status: 201, body: { contact_id: contact.id }, headers: CORS }
  }
