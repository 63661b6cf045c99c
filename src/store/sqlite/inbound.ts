/**
 * Inbound messages (DESIGN §2 inbound flow), one transaction each: dedupe by the platform's id,
 * identity (or a new contact), first/last inbound time, thread (reply match, active, or new),
 * the message, recency and the app events. Inbound is never refused.
 */
import type { InboundOutcome, InboundPlan, Store } from '../types.js'
import type { AcceptDeps } from './accept-plan.js'
import type { ThreadRow } from './schema.js'

type InboundApi = Store['inbound']

const DEDUPE = `SELECT id, contact_id, thread_id FROM messages
  WHERE channel = ? AND platform_message_id = ? AND direction = 'in'`
const CONTACT_EXISTS = `SELECT 1 FROM contacts WHERE id = ?`
// The thread of the newest message of this contact on this channel that the reply refers to.
const REPLY_THREAD = `SELECT thread_id FROM messages
  WHERE contact_id = @contact AND channel = @channel
    AND (platform_message_id IN (SELECT value FROM json_each(@ids))
      OR email_message_id IN (SELECT value FROM json_each(@ids)))
  ORDER BY seq DESC LIMIT 1`

export class Inbound implements InboundApi {
  constructor(private readonly d: AcceptDeps) {}

  receive(plan: InboundPlan): InboundOutcome {
    const { x } = this.d
    return x.tx(() => {
      const dup = x.stmt(DEDUPE).get(plan.channel, plan.platformMessageId) as
        { id: string; contact_id: string; thread_id: string } | undefined
      if (dup)
        return {
          messageId: dup.id,
          contactId: dup.contact_id,
          threadId: dup.thread_id,
          created: false,
        }

      const contactId = this.identify(plan)
      const { threadId, threadCreated } = this.thread(plan, contactId)
      this.d.messages.insert({
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
      this.d.messages.attachments(plan.newMessageId, plan.attachments, plan.now)
      this.d.contacts.touch(contactId, plan.now)
      this.d.threads.touch(threadId, plan.now)
      const ids = { messageId: plan.newMessageId, contactId, threadId, threadCreated }
      this.d.queue.enqueue(plan.events(ids))
      return { messageId: plan.newMessageId, contactId, threadId, created: true }
    })
  }

  /** The identity's contact, or a new contact and identity; marks the inbound time. */
  private identify(plan: InboundPlan): string {
    const { identities, contacts, x } = this.d
    let identity: { id: string; contact_id: string } | null = identities.find(
      plan.channel,
      plan.address,
    )
    if (!identity) {
      // The gateway may name an existing contact (matched by email or phone) to attach to.
      if (x.stmt(CONTACT_EXISTS).get(plan.newContact.id) === undefined)
        contacts.insert(plan.newContact, plan.now)
      identities.insert(
        { id: plan.newIdentityId, channel: plan.channel, address: plan.address },
        plan.newContact.id,
        plan.now,
      )
      identity = { id: plan.newIdentityId, contact_id: plan.newContact.id }
    }
    // The window runs from when the person wrote; a platform clock ahead of ours cannot extend it.
    const at = plan.sentAt && plan.sentAt < plan.now ? plan.sentAt : plan.now
    identities.markInbound(identity.id, at)
    return identity.contact_id
  }

  /**
   * A reply lands in the thread of the message it answers; otherwise the contact's newest open or
   * snoozed thread on this channel; otherwise a new one here, even when the contact has an open
   * thread on another channel (inbound is never refused). A closed thread reopens and a snoozed
   * one wakes: the person is waiting for an answer. `allowWithOpenThread` changes nothing here.
   */
  private thread(
    plan: InboundPlan,
    contactId: string,
  ): { threadId: string; threadCreated: boolean } {
    const { threads, x } = this.d
    let row: ThreadRow | undefined
    if (plan.replyTo.length > 0) {
      const ids = JSON.stringify(plan.replyTo)
      const hit = x.stmt(REPLY_THREAD).get({ contact: contactId, channel: plan.channel, ids }) as
        { thread_id: string } | undefined
      if (hit) row = threads.load(hit.thread_id)
    }
    row ??= threads.active(contactId, plan.channel)[0]
    if (row) {
      threads.reopen(row, 'contact', plan.now)
      return { threadId: row.id, threadCreated: false }
    }
    const t = {
      id: plan.newThreadId,
      contact_id: contactId,
      channel: plan.channel,
      assignee: null,
      tags: [],
    }
    threads.insert(t, 'contact', plan.now)
    return { threadId: t.id, threadCreated: true }
  }
}
