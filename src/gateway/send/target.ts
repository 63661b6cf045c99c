/**
 * Who a send goes to (DESIGN §2, step 1): the thread, contact or address a request names, resolved
 * to the stored contact, its identity on the channel and the thread — or, for an address nobody has
 * yet, the fields of the contact the send would create. Not found and malformed targets end here,
 * before any rule runs.
 */
import { normalizeAddress } from '../../rules/index.js'
import type { ContactFacts, IdentityFacts } from '../../rules/types.js'
import type {
  ContactRecord,
  IdentityRecord,
  RecipientRead,
  ThreadRecord,
} from '../../store/types.js'
import { apiError, notFound, ruleError } from '../errors.js'
import type { SendBody } from '../http/schemas.js'
import { liveContact } from '../contacts/merged.js'
import type { Services } from '../services.js'
import { NO_CONTACT } from './facts.js'

/** A send's recipient as the store knows it (what `recipientFacts` and `buildAcceptPlan` take). */
export interface Target {
  contact: ContactRecord | null
  newContact: ContactFacts
  channelName: string
  identity: IdentityRecord | null
  /** A brand-new contact's address from `to`, as the rules should see it (never written to yet). */
  draftIdentity: IdentityFacts | null
  thread: ThreadRecord | null
  /** The contact's open and snoozed threads, when read with it (else the facts read them). */
  activeThreads?: ThreadRecord[]
  /** The contact opted out on the channel, when read with it (else the facts read it). */
  optedOut?: boolean
}

/**
 * The target of `thread_id`, `contact_id` or `to`, whichever the request gives. `read`: the
 * `contact_id`'s recipient read already made (with the idempotency key's answer).
 */
export async function resolveTarget(
  svc: Services,
  body: SendBody,
  read?: RecipientRead,
): Promise<Target> {
  if (body.thread_id) return threadTarget(svc, body.thread_id, body.channel)
  if (body.contact_id) return contactTarget(svc, body.contact_id, body.channel, read)
  const to = body.to
  if (!to)
    throw apiError('invalid_field', 'give exactly one of contact_id, to or thread_id', {
      field: 'contact_id',
    })
  if (body.channel && body.channel !== to.channel) {
    throw apiError('invalid_field', `channel: differs from to.channel (${to.channel})`, {
      field: 'channel',
    })
  }
  return addressTarget(svc, to)
}

async function threadTarget(
  svc: Services,
  threadId: string,
  channel: string | undefined,
): Promise<Target> {
  const found = await svc.store.threads.get(threadId)
  if (!found) throw notFound('thread', threadId)
  if (channel && channel !== found.channel) {
    throw apiError(
      'invalid_field',
      `channel: thread ${found.id} is on channel ${found.channel}, not ${channel}`,
      { field: 'channel' },
    )
  }
  const contact = await mustContact(svc, found.contact_id)
  // Read again after the contact (and its version): a change of the thread in between then
  // shows as a newer version when the plan applies, never as a stale thread under a fresh one.
  const thread = (await svc.store.threads.get(threadId)) ?? found
  const identities = await svc.store.identities.listByContact(contact.id)
  const identity = identities.find((i) => i.channel === thread.channel) ?? null
  return {
    contact,
    newContact: NO_CONTACT,
    channelName: thread.channel,
    identity,
    draftIdentity: null,
    thread,
  }
}

/** Without `channel`, the contact's only channel (or its only active thread's) is meant. */
async function contactTarget(
  svc: Services,
  contactId: string,
  channel: string | undefined,
  prefetched: RecipientRead | undefined,
): Promise<Target> {
  // Everything the send decides on in one read (one round trip on PostgreSQL); a merged
  // contact's survivor is found first, then read the same way.
  let read = prefetched ?? (await svc.store.contacts.recipient(contactId))
  if (!read.contact || read.contact.merged_into)
    read = await svc.store.contacts.recipient((await mustContact(svc, contactId)).id)
  const { contact, identities, activeThreads: active } = read
  if (!contact) throw notFound('contact', contactId)
  let channelName = channel
  if (!channelName) {
    const only =
      identities.length === 1
        ? identities[0]?.channel
        : active.length === 1
          ? active[0]?.channel
          : undefined
    if (!only) {
      throw apiError(
        'channel_required',
        `channel: contact ${contact.id} can be reached on several channels (or none); name one`,
        {
          field: 'channel',
          channels: identities.map((i) => i.channel),
        },
      )
    }
    channelName = only
  }
  const identity = identities.find((i) => i.channel === channelName) ?? null
  return {
    contact,
    newContact: NO_CONTACT,
    channelName,
    identity,
    draftIdentity: null,
    thread: null,
    activeThreads: active,
    optedOut: read.optedOut.includes(channelName),
  }
}

/** `to`: the contact that has this address on the channel, or a new one with the given fields. */
async function addressTarget(svc: Services, to: NonNullable<SendBody['to']>): Promise<Target> {
  const ch = svc.config().channels[to.channel]
  if (ch) {
    const norm = normalizeAddress(ch.info.addressKind, to.address)
    if (!norm.ok)
      throw ruleError(
        'address_invalid',
        `to.address: ${norm.reason}`,
        // As the rules name it: a webhook channel's `address` key decides, else the channel type.
        `channels.${to.channel}.${ch.info.type === 'webhook' ? 'address' : 'type'}`,
        { field: 'to.address' },
      )
    const identity = await svc.store.identities.find(to.channel, norm.address)
    if (identity) {
      return {
        contact: await mustContact(svc, identity.contact_id),
        newContact: NO_CONTACT,
        channelName: to.channel,
        identity,
        draftIdentity: null,
        thread: null,
      }
    }
  }
  // A brand-new contact: the rules see an identity that never wrote (contact-first channels refuse).
  const newContact: ContactFacts = {
    ...NO_CONTACT,
    first_name: to.first_name ?? null,
    last_name: to.last_name ?? null,
    email: to.email ?? null,
    phone: to.phone ?? null,
    external_id: to.external_id ?? null,
    attributes: to.attributes ?? {},
  }
  const kind = ch?.info.addressKind
  if (kind === 'email') newContact.email ??= to.address.trim().toLowerCase()
  else if (kind === 'phone') newContact.phone ??= to.address
  const draftIdentity = {
    address: to.address,
    first_inbound_at: null,
    last_inbound_at: null,
    reachable: true,
  }
  return {
    contact: null,
    newContact,
    channelName: to.channel,
    identity: null,
    draftIdentity,
    thread: null,
  }
}

/** A send to a merged contact goes to its survivor (DESIGN §15). */
function mustContact(svc: Services, id: string): Promise<ContactRecord> {
  return liveContact(svc, id)
}
