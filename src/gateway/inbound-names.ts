/**
 * The names an inbound message brings to its contact. A platform that gives one string (WhatsApp,
 * LINE, email) has it split by the rules; the whole stays as the attribute `display_name`.
 */
import type { InboundMessage } from '../connectors/types.js'
import { splitDisplayName } from '../rules/index.js'
import type { ContactPatch, ContactRecord } from '../store/types.js'

/** What an inbound `from` says about the person's name. */
export interface InboundNames {
  firstName: string | null
  lastName: string | null
  /** The platform's one-string name, tidied; null when it gave none (or first/last itself). */
  displayName: string | null
}

/** First/last name as the platform gave them, else the split of its one-string name. */
export function inboundNames(from: InboundMessage['from']): InboundNames {
  if (from.firstName || from.lastName) {
    return { firstName: from.firstName || null, lastName: from.lastName || null, displayName: null }
  }
  if (from.displayName === undefined) return { firstName: null, lastName: null, displayName: null }
  return splitDisplayName(from.displayName)
}

/** The fields a new contact starts with. */
export function newContactNames(
  n: InboundNames,
): Pick<ContactRecord, 'first_name' | 'last_name'> & { attributes?: Record<string, unknown> } {
  return {
    first_name: n.firstName,
    last_name: n.lastName,
    ...(n.displayName === null ? {} : { attributes: { display_name: n.displayName } }),
  }
}

/**
 * What to write on a known contact, or null when nothing changes. Names are filled only on a
 * contact that has neither a first nor a last name: any name it has was given by an agent or the
 * app (perhaps correcting the platform's), and mixing one of theirs with one of ours would name
 * nobody. `display_name` follows the platform, so a renamed profile shows its new name.
 */
export function contactNamePatch(c: ContactRecord, n: InboundNames): ContactPatch | null {
  const patch: ContactPatch = {}
  if (!c.first_name && !c.last_name && (n.firstName || n.lastName)) {
    patch.first_name = n.firstName
    patch.last_name = n.lastName
  }
  if (n.displayName !== null && c.attributes.display_name !== n.displayName) {
    patch.attributes = { ...c.attributes, display_name: n.displayName }
  }
  return Object.keys(patch).length > 0 ? patch : null
}
