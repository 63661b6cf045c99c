/**
 * `POST …/webchat/push` (DESIGN §12): the widget registers the page's push subscription on the
 * channel's `fallback.push` Web Push channel for the same contact, so the site needs one
 * `user_hash` only — the session token stands for it. The Web Push registration itself is the
 * one `POST /v1/channels/{name}/subscriptions` uses (channels/push.ts).
 */
import { channelOfType } from '../channels/channel-of-type.js'
import { subscribe } from '../channels/push.js'
import { apiError } from '../errors.js'
import type { Services } from '../services.js'
import type { PushBody } from './schemas.js'
import type { Visitor } from './visitor.js'

export async function registerPush(
  svc: Services,
  v: Visitor,
  b: PushBody,
): Promise<{ channel: string; contact_id: string }> {
  const push = v.channel.settings.fallback.push
  if (push === undefined)
    throw apiError(
      'invalid_field',
      `channel ${v.name} has no fallback.push channel to register on`,
      {
        field: 'subscription',
      },
    )
  channelOfType(svc, push, 'webpush')
  const contact = await svc.store.contacts.get(v.contactId)
  if (!contact) throw apiError('not_found', `contact ${v.contactId} no longer exists`)
  // The Web Push registration finds the contact by external id: this visitor's contact has it
  // (the session set it), unless an agent changed it since — then the subscription's own id wins.
  const out = await subscribe(svc, push, {
    external_id: contact.external_id ?? v.externalId,
    user_hash: '',
    subscription: b.subscription,
  })
  return { channel: push, contact_id: out.contactId }
}
