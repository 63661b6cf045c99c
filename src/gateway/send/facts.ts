/**
 * The one place the gateway turns stored records into the facts the rules decide on: the channel,
 * the contact, its identity there, its active threads, the thread a send targets, the templates
 * and today's count of first messages to strangers. A single send (`use-case.ts`), eligibility
 * (`GET /v1/contacts/{id}/eligibility`) and a bulk (`bulk/evaluate.ts`) all ask here, so they
 * cannot disagree about what the rules saw.
 */
import { hasAddress, startOfDay, type RecipientInput } from '../../rules/index.js'
import type { ChannelInfo, ContactFacts, IdentityFacts, ThreadFacts } from '../../rules/types.js'
import type { ContactRecord, IdentityRecord, ThreadRecord } from '../../store/types.js'
import type { Services } from '../services.js'

/** Who a send goes to, as far as the store knows. */
export interface RecipientRecords {
  channelName: string
  /** null for a brand-new contact (a send with `to`); `newContact` then holds its fields. */
  contact: ContactRecord | null
  newContact?: ContactFacts
  identity: IdentityRecord | null
  /** A brand-new contact's address from `to`, as the rules should see it (never written to yet). */
  draftIdentity?: IdentityFacts | null
  /** The thread the request names (`thread_id`), any status. */
  thread: ThreadRecord | null
  /** The contact's open and snoozed threads when already loaded (else they are read here). */
  activeThreads?: readonly ThreadRecord[]
  /** The contact opted out on the channel (check 3b), when already read (else read here). */
  optedOut?: boolean
}

/**
 * The rules' facts for one recipient at `now`, reading what the caller did not pass: the
 * contact's active threads, and today's unreplied count when the channel has a cap.
 */
export async function loadRecipientFacts(
  svc: Services,
  r: RecipientRecords,
  now: Date,
): Promise<{ input: RecipientInput; activeThreads: readonly ThreadRecord[] }> {
  const activeThreads =
    r.activeThreads ??
    (r.contact === null ? [] : await svc.store.threads.listActiveByContact(r.contact.id))
  const optedOut =
    r.optedOut ??
    (r.contact !== null &&
      (await svc.store.consent.optedOut([r.contact.id], r.channelName)).has(r.contact.id))
  const unreplied = await unrepliedToday(svc, r.channelName, now)
  const records = { ...r, activeThreads, optedOut }
  return { input: recipientFacts(svc, records, now, unreplied), activeThreads }
}

/**
 * The rules' facts for one recipient at `now` from records already read (a bulk reads a chunk's
 * at once, and counts its own first messages in `unreplied` as it goes).
 */
export function recipientFacts(
  svc: Services,
  r: RecipientRecords & { activeThreads: readonly ThreadRecord[] },
  now: Date,
  unreplied: number,
): RecipientInput {
  const config = svc.config()
  const active = r.activeThreads
  return {
    channel: config.channels[r.channelName]?.info ?? null,
    channelName: r.channelName,
    contact: r.contact === null ? (r.newContact ?? NO_CONTACT) : contactFacts(r.contact),
    identity: r.identity === null ? (r.draftIdentity ?? null) : identityFacts(r.identity),
    openThreads: active.map(threadFacts),
    targetThread: r.thread === null ? null : threadFacts(r.thread),
    templates: config.templates,
    unrepliedToday: unreplied,
    optedOut: r.optedOut ?? false,
    now,
  }
}

/**
 * The facts for every configured channel the contact has an address on (an identity, or the
 * email/phone an email/phone channel derives one from), in config order: what eligibility answers.
 */
export async function contactChannelFacts(
  svc: Services,
  contact: ContactRecord,
  now: Date,
): Promise<{ channel: ChannelInfo; identity: IdentityRecord | null; facts: RecipientInput }[]> {
  const identities = await svc.store.identities.listByContact(contact.id)
  const activeThreads = await svc.store.threads.listActiveByContact(contact.id)
  const consent = await svc.store.consent.state(contact.id)
  const facts = contactFacts(contact)
  const out: { channel: ChannelInfo; identity: IdentityRecord | null; facts: RecipientInput }[] = []
  for (const { info } of Object.values(svc.config().channels)) {
    const identity = identities.find((i) => i.channel === info.name) ?? null
    if (!hasAddress(info, facts, identity === null ? null : identityFacts(identity))) continue
    const optedOut = consent.some((c) => c.channel === info.name && c.status === 'opted_out')
    const records = {
      channelName: info.name,
      contact,
      identity,
      thread: null,
      activeThreads,
      optedOut,
    }
    const unreplied = await unrepliedToday(svc, info.name, now)
    out.push({ channel: info, identity, facts: recipientFacts(svc, records, now, unreplied) })
  }
  return out
}

/** First messages sent today on the channel to people who never answered (0 without a cap). */
export async function unrepliedToday(
  svc: Services,
  channelName: string,
  now: Date,
): Promise<number> {
  const ch = svc.config().channels[channelName]
  if (ch === undefined || ch.info.rules.max_unreplied_per_day === null) return 0
  return svc.store.messages.countUnrepliedSince(channelName, startOfDay(now))
}

/** The empty contact a send with `to` starts from. */
export const NO_CONTACT: ContactFacts = Object.freeze({
  id: null,
  first_name: null,
  last_name: null,
  email: null,
  phone: null,
  external_id: null,
  attributes: {},
  blocked: false,
})

export function contactFacts(c: ContactRecord): ContactFacts {
  return {
    id: c.id,
    first_name: c.first_name,
    last_name: c.last_name,
    email: c.email,
    phone: c.phone,
    external_id: c.external_id,
    attributes: c.attributes,
    blocked: c.blocked,
  }
}

function identityFacts(i: IdentityRecord): IdentityFacts {
  return {
    address: i.address,
    first_inbound_at: i.first_inbound_at,
    last_inbound_at: i.last_inbound_at,
    reachable: i.reachable,
  }
}

function threadFacts(t: ThreadRecord): ThreadFacts {
  return { id: t.id, channel: t.channel, status: t.status, assignee: t.assignee, tags: t.tags }
}
