/**
 * `GET /v1/contacts/{id}/eligibility` (DESIGN §1 item 7): for every channel the contact can be
 * reached on, the rules' `eligibility()` on the same facts a send is decided on (`send/facts.ts`),
 * so the answer and a real send agree (test/api/eligibility-agreement.test.ts).
 */
import type { z } from 'zod'
import { deferredUntil, eligibility } from '../../rules/index.js'
import type { eligibility as eligibilitySchema } from '../http/responses/index.js'
import type { Services } from '../services.js'
import { contactChannelFacts } from '../send/index.js'
import { mustContact } from './use-cases.js'

/** "May I message this contact on channel X, and what?" for each channel, in config order. */
export async function contactEligibility(
  svc: Services,
  contactId: string,
): Promise<z.output<typeof eligibilitySchema>> {
  const c = await mustContact(svc, contactId)
  const now = svc.now()
  const channels = (await contactChannelFacts(svc, c, now)).map(({ channel, identity, facts }) => {
    const e = eligibility(facts)
    // A send now would wait for the channel's send window to open (DESIGN §14).
    const deferred = e.can_send
      ? deferredUntil(channel, c.timezone, identity?.last_inbound_at ?? null, now)
      : null
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
      deferred_until: deferred?.toISOString() ?? null,
    }
  })
  return { contact_id: c.id, channels }
}
