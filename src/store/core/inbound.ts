/**
 * Inbound messages (DESIGN §2 inbound flow), one transaction each: dedupe by the platform's id,
 * identity (or a new contact), first/last inbound time, thread (reply match, active, or new), the
 * message, recency and the app events. Inbound is never refused.
 */
import type { InboundOutcome, InboundPlan } from '../types.js'
import { recordConsent } from './consent.js'
import { withData } from './events.js'
import type { ThreadState } from './port.js'
import { tx, type Program } from './program.js'
import { openThread, reopen } from './threads.js'

export function* receiveInbound(plan: InboundPlan): Program<InboundOutcome> {
  const dup = yield* tx.findInbound(plan.channel, plan.platformMessageId)
  if (dup) {
    return {
      messageId: dup.id,
      contactId: dup.contact_id,
      threadId: dup.thread_id,
      created: false,
      threadCreated: false,
    }
  }

  const contactId = yield* identify(plan)
  const { threadId, threadCreated } = yield* thread(plan, contactId)
  yield* tx.insertMessage({
    id: plan.newMessageId,
    thread_id: threadId,
    contact_id: contactId,
    channel: plan.channel,
    direction: 'in',
    author: { kind: 'contact', id: contactId },
    address: plan.address,
    text: plan.text,
    template: null,
    email: plan.email,
    status: 'delivered',
    platform_message_id: plan.platformMessageId,
    bulk_id: null,
    created_at: plan.now,
    sent_at: plan.sentAt || plan.now,
    delivered_at: plan.now,
  })
  if (plan.attachments.length > 0)
    yield* tx.insertAttachments(plan.newMessageId, plan.attachments, plan.now)
  yield* tx.touchContact(contactId, plan.now)
  yield* tx.touchThread(threadId, plan.now)
  const ids = { contact_id: contactId, thread_id: threadId }
  const events = [...(threadCreated ? plan.events.threadOpened : []), ...plan.events.received]
  if (events.length > 0) yield* tx.enqueueEvents(withData(events, ids))
  const out = { messageId: plan.newMessageId, contactId, threadId, created: true, threadCreated }
  if (!plan.consent) return out
  const change = { ...plan.consent, contactId, threadId, now: plan.now }
  const consent = yield* recordConsent(change)
  return consent === null ? out : { ...out, consent }
}

/** The identity's contact (locked), or a new contact and identity; marks the inbound time. */
function* identify(plan: InboundPlan): Program<string> {
  const found = yield* tx.findIdentity(plan.channel, plan.address)
  let identityId: string
  let contactId: string
  if (found) {
    identityId = found.id
    contactId = found.contact_id
    const lock = yield* tx.lockContact(contactId)
    // Merged while this waited for the lock (DESIGN §15): the identity went to the survivor.
    if (lock?.merged_into) {
      contactId =
        (yield* tx.findIdentity(plan.channel, plan.address))?.contact_id ?? lock.merged_into
      yield* tx.lockContact(contactId)
    }
  } else {
    identityId = plan.newIdentityId
    contactId = plan.newContact.id
    // The gateway may name an existing contact (matched by email or phone) to attach to.
    if ((yield* tx.lockContact(contactId)) === null)
      yield* tx.insertContact(plan.newContact, plan.now)
    const i = { id: identityId, channel: plan.channel, address: plan.address }
    yield* tx.insertIdentity(i, contactId, plan.now)
  }
  // The window runs from when the person wrote; a platform clock ahead of ours cannot extend it.
  const at = plan.sentAt && plan.sentAt < plan.now ? plan.sentAt : plan.now
  yield* tx.markInbound(identityId, at)
  return contactId
}

/**
 * A reply lands in the thread of the message it answers; otherwise the contact's newest open or
 * snoozed thread on this channel; otherwise a new one here, even when the contact has an open
 * thread on another channel (inbound is never refused). A closed thread reopens and a snoozed
 * one wakes: the person is waiting for an answer.
 */
function* thread(
  plan: InboundPlan,
  contactId: string,
): Program<{ threadId: string; threadCreated: boolean }> {
  let row: ThreadState | null = null
  if (plan.replyTo.length > 0) {
    const id = yield* tx.replyThreadId(contactId, plan.channel, plan.replyTo)
    if (id) row = yield* tx.loadThread(id)
  }
  row ??= (yield* tx.activeThreads(contactId, plan.channel))[0] ?? null
  if (row) {
    yield* reopen(row, 'contact', plan.now)
    return { threadId: row.id, threadCreated: false }
  }
  const t = {
    id: plan.newThreadId,
    contact_id: contactId,
    channel: plan.channel,
    assignee: null,
    tags: [],
  }
  yield* openThread(t, 'contact', plan.now)
  return { threadId: t.id, threadCreated: true }
}
