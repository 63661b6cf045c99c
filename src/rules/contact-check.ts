/**
 * Steps 3, 3b and 4 of DESIGN §5: the contact may be messaged at all on this channel.
 */
import { refusal, type Refusal } from './refusal.js'
import type { ChannelInfo, ContactFacts, IdentityFacts } from './types.js'

/**
 * Refuses a blocked contact, an unreachable identity, a contact who opted out on the channel, and
 * silence on contact-first channels.
 */
export function checkContact(
  channel: ChannelInfo,
  contact: ContactFacts,
  identity: IdentityFacts | null,
  optedOut = false,
): Refusal | null {
  if (contact.blocked) {
    return refusal('contact_blocked', 'The contact is blocked: unblock them before sending.')
  }
  if (identity !== null && !identity.reachable) {
    return refusal(
      'contact_unreachable',
      `The contact can no longer be reached on channel "${channel.name}" (they blocked us or ` +
        'unsubscribed): use another channel, or wait for them to write again.',
    )
  }
  if (optedOut) {
    return refusal(
      'opted_out',
      `The contact opted out of messages on channel "${channel.name}": nothing can be sent there ` +
        'until they opt in again (a resume keyword, or PUT /v1/contacts/{id}/consent).',
      `channels.${channel.name}.rules.opt_out`,
    )
  }
  if (channel.rules.contact_first && (identity?.first_inbound_at ?? null) === null) {
    return refusal(
      'contact_first',
      `Channel "${channel.name}" can only message people who wrote to it first, and this contact ` +
        'has not: wait for them to write, or use another channel.',
      `channels.${channel.name}.rules.contact_first`,
    )
  }
  return null
}
