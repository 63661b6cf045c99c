/**
 * Turns an allowed decision into the store's AcceptPlan: contact (existing or new), identity,
 * thread (reopen, reuse, or create and assign to the agent who sends), message, outbox job and
 * the `thread.opened` event. Shared by single sends (`use-case.ts`) and bulk sends
 * (`bulk/`), so a bulk message lands in the store exactly as a single send would.
 */
import { strictSingleOpen } from '../../rules/index.js'
import type { ContactFacts, Decision } from '../../rules/types.js'
import type { AcceptPlan, ContactRecord, IdentityRecord, ThreadRecord } from '../../store/types.js'
import type { Caller } from '../http/route.js'
import { newId } from '../ids.js'
import type { Services } from '../services.js'

/** Who and where a send goes: an existing contact (or the fields of a new one), and its thread. */
export interface PlanTarget {
  contact: ContactRecord | null
  newContact: ContactFacts
  channelName: string
  identity: IdentityRecord | null
  /** The thread the request named (`thread_id`), any status; null to let the decision pick. */
  thread: ThreadRecord | null
}

export interface PlanOptions {
  caller: Caller
  /** Tags the send adds to its thread. */
  tags: readonly string[]
  attachments: AcceptPlan['attachments']
  now: Date
  /** A bulk's message: the job's id and when the message is due (ms, wall clock). */
  bulk?: { id: string; dueAt: number }
  /** The contact's active threads the decision was made on (the reused thread is one of them). */
  activeThreads: readonly ThreadRecord[]
  /** A scheduled send (DESIGN §14): held until then, and checked again then. */
  sendAt?: Date | null
  /** Who the message is authored by when not the caller's key: an automation (DESIGN §14). */
  author?: { kind: 'automation'; id: string }
}

export function buildAcceptPlan(
  svc: Services,
  t: PlanTarget,
  d: Decision,
  o: PlanOptions,
): AcceptPlan {
  const { caller, now } = o
  const at = now.toISOString()
  const rules = svc.config().channels[t.channelName]?.info.rules
  const agent = caller.role === 'app' ? null : caller.id
  // A single send carries the version its facts were read at: a send to the same person that
  // commits first makes it `stale`, and the use-case decides again. A bulk message does not (a
  // conflict there is counted as skipped; the bulk's own recipients never collide).
  const contact: AcceptPlan['contact'] = t.contact
    ? o.bulk
      ? { existing: t.contact.id }
      : { existing: t.contact.id, version: t.contact.version }
    : {
        create: {
          id: newId('ct'),
          first_name: t.newContact.first_name,
          last_name: t.newContact.last_name,
          email: t.newContact.email,
          phone: t.newContact.phone,
          external_id: t.newContact.external_id,
          attributes: t.newContact.attributes,
        },
      }
  const address = d.address ?? t.identity?.address ?? ''
  const identity: AcceptPlan['identity'] = t.identity
    ? { existing: t.identity.id }
    : { create: { id: newId('id'), channel: t.channelName, address } }
  const tags = [...o.tags]
  let thread: AcceptPlan['thread']
  if (t.thread) {
    thread =
      t.thread.status === 'closed'
        ? { reopen: t.thread.id, assign: agent, addTags: tags, actor: caller.id }
        : {
            reuse: t.thread.id,
            assign: t.thread.assignee ? null : agent,
            addTags: tags,
            actor: caller.id,
          }
  } else if (d.reuseThreadId) {
    const id = d.reuseThreadId
    const existing = o.activeThreads.find((x) => x.id === id)
    thread = {
      reuse: id,
      assign: existing?.assignee ? null : agent,
      addTags: tags,
      actor: caller.id,
    }
  } else {
    thread = {
      create: { id: newId('th'), channel: t.channelName, assignee: agent, tags },
      singleOpen: rules !== undefined && strictSingleOpen(rules),
      actor: caller.id,
    }
  }
  const contactId = 'existing' in contact ? contact.existing : contact.create.id
  const events =
    'create' in thread
      ? svc.events(
          'thread.opened',
          {
            thread_id: thread.create.id,
            contact_id: contactId,
            channel: t.channelName,
            by: caller.id,
          },
          at,
        )
      : []
  return {
    now: at,
    contact,
    identity,
    thread,
    message: {
      id: newId('msg'),
      channel: t.channelName,
      author: o.author ?? { kind: caller.role === 'app' ? 'app' : 'agent', id: caller.id },
      address,
      text: d.rendered?.text ?? null,
      template: d.rendered?.template ?? null,
      email: d.rendered?.email ?? null,
      bulk_id: o.bulk?.id ?? null,
      send_at: o.sendAt ? o.sendAt.toISOString() : null,
    },
    attachments: o.attachments,
    // The dispatcher leases by the wall clock, not the rules' clock (`now` may be a test's).
    outbox: {
      dueAt: heldUntil(o) ?? o.bulk?.dueAt ?? Date.now(),
      recipientKey: `${t.channelName}:${address}`,
    },
    events,
  }
}

/** A held send's due time: a bulk's paced time when later (its pace starts at `send_at`). */
function heldUntil(o: PlanOptions): number | null {
  if (!o.sendAt) return null
  return Math.max(o.sendAt.getTime(), o.bulk?.dueAt ?? 0)
}
