/**
 * One accepted send (DESIGN §2 outbound flow), applied inside its own savepoint of a group-commit
 * transaction: idempotency, contact, identity, thread (reuse / reopen / create), message,
 * attachments, outbox job, idempotency record, recency, app events. Prepared statements only.
 */
import type { AcceptOutcome, AcceptPlan } from '../types.js'
import type { ContactWriter } from './contact-writer.js'
import type { EventQueue } from './event-queue.js'
import type { Executor } from './executor.js'
import type { IdentityRepo } from './identity-repo.js'
import type { MessageWriter } from './message-writer.js'
import { PRIORITY } from './outbox-repo.js'
import type { ThreadRow } from './schema.js'
import type { ThreadWriter } from './thread-writer.js'

const IDEMPOTENCY_GET = `SELECT body_hash, status, response FROM idempotency
  WHERE key_id = ? AND key = ?`
const IDEMPOTENCY_PUT = `INSERT INTO idempotency
  (key_id, key, body_hash, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?)`
const OUTBOX_PUT = `INSERT INTO outbox (message_id, channel, recipient_key, due_at, priority)
  VALUES (?, ?, ?, ?, ?)`

export interface AcceptDeps {
  x: Executor
  contacts: ContactWriter
  identities: IdentityRepo
  threads: ThreadWriter
  messages: MessageWriter
  queue: EventQueue
}

/** Thrown to roll a plan's savepoint back while answering with an outcome (not an error). */
export class PlanOutcome extends Error {
  constructor(readonly outcome: AcceptOutcome) {
    super('plan rolled back')
  }
}

/** Applies one plan; call inside a savepoint. Throws PlanOutcome for a conflict found here. */
export function applyAcceptPlan(d: AcceptDeps, plan: AcceptPlan): AcceptOutcome {
  const { now } = plan
  const idem = plan.idempotency
  if (idem) {
    const stored = d.x.stmt(IDEMPOTENCY_GET).get(idem.keyId, idem.key) as
      { body_hash: string; status: number; response: string } | undefined
    if (stored) {
      const { body_hash: bodyHash, status, response } = stored
      return { ok: false, code: 'idempotency_replay', status, response, bodyHash }
    }
  }

  let contactId: string
  if ('create' in plan.contact) {
    d.contacts.insert(plan.contact.create, now)
    contactId = plan.contact.create.id
  } else {
    contactId = plan.contact.existing
  }
  // The type says never null, its comment says it may be: accept both.
  if (plan.identity && 'create' in plan.identity)
    d.identities.insert(plan.identity.create, contactId, now)

  const threadId = applyThread(d, plan, contactId)
  const m = plan.message
  d.messages.insert({
    id: m.id,
    thread_id: threadId,
    contact_id: contactId,
    channel: m.channel,
    direction: 'out',
    author: m.author,
    address: m.address,
    text: m.text,
    template: m.template,
    email: m.email,
    status: 'queued',
    platform_message_id: null,
    bulk_id: m.bulk_id ?? null,
    created_at: now,
    queued_at: now,
  })
  d.messages.attachments(m.id, plan.attachments, now)
  // A bulk's jobs yield to single sends that are due at the same time.
  const priority = m.bulk_id ? PRIORITY.bulk : PRIORITY.single
  d.x.stmt(OUTBOX_PUT).run(m.id, m.channel, plan.outbox.recipientKey, plan.outbox.dueAt, priority)
  if (idem)
    d.x
      .stmt(IDEMPOTENCY_PUT)
      .run(idem.keyId, idem.key, idem.bodyHash, idem.status, idem.response, now)
  // A bulk message is not activity with the contact: 100 000 recipients jumping to the top of
  // "newest activity first" would bury the real conversations (a reply moves them up).
  if (!m.bulk_id) d.contacts.touch(contactId, now)
  // A thread created just now already has this time.
  if (!('create' in plan.thread)) d.threads.touch(threadId, now)
  d.queue.enqueue(plan.events)
  return { ok: true, messageId: m.id, threadId, contactId }
}

function applyThread(d: AcceptDeps, plan: AcceptPlan, contactId: string): string {
  const t = plan.thread
  const { now } = plan
  if ('create' in t) {
    const other = t.singleOpen ? d.threads.active(contactId)[0] : undefined
    if (other) {
      throw new PlanOutcome({
        ok: false,
        code: 'thread_conflict',
        thread: { id: other.id, assignee: other.assignee },
      })
    }
    d.threads.insert({ ...t.create, contact_id: contactId }, t.actor, now)
    return t.create.id
  }
  const id = 'reuse' in t ? t.reuse : t.reopen
  const row = loadOwn(d, id, contactId)
  // A thread closed since the gateway looked is reopened: a message never lands in a closed thread.
  if ('reopen' in t || row.status === 'closed') d.threads.reopen(row, t.actor, now)
  if (t.assign !== null) d.threads.assign(row, t.assign, t.actor, now)
  d.threads.addTags(row, t.addTags, t.actor, now)
  return id
}

function loadOwn(d: AcceptDeps, threadId: string, contactId: string): ThreadRow {
  const row = d.threads.load(threadId)
  if (!row) throw new Error(`thread ${threadId} does not exist`)
  if (row.contact_id !== contactId) throw new Error(`thread ${threadId} belongs to another contact`)
  return row
}
