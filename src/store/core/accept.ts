/**
 * One accepted send (DESIGN §2 outbound flow), as a program run inside its own savepoint (group
 * commit: many plans share one transaction): idempotency replay, the contact's lock and version
 * guard, contact, identity, thread (reuse / reopen / create), message, attachments, outbox job,
 * idempotency record, recency, app events.
 */
import type { AcceptOutcome, AcceptPlan } from '../types.js'
import { StoreConflict } from '../types.js'
import { storeFault } from '../store-fault.js'
import type { AcceptOpening, AcceptReads, ThreadState } from './port.js'
import { inSavepoint, tx, type Program } from './program.js'
import { addTags, assign, openThread, reopen } from './threads.js'

/**
 * Thrown to roll a plan's savepoint back while answering with an outcome (not an error): a
 * conflict found after the plan had written something.
 */
export class PlanOutcome extends Error {
  constructor(readonly outcome: AcceptOutcome) {
    super('plan rolled back')
    this.name = 'PlanOutcome'
  }
}

/**
 * Applies one plan; run it in a savepoint. Resolves `idempotency_replay` or `stale` before
 * writing anything; throws PlanOutcome (`thread_conflict`, `stale`, a replay found late) once it
 * has, and StoreConflict for a conflict the plan did not guard against (bulk counts it skipped).
 */
export function* acceptPlan(plan: AcceptPlan): Program<AcceptOutcome> {
  // The key's record, the contact's lock and the plan's thread, read at once.
  return yield* acceptOpened(plan, yield* tx.openAccept(acceptReads(plan)))
}

/** What a plan's opening reads: its key, the contact it locks, the thread it names. */
function acceptReads(plan: AcceptPlan): AcceptReads {
  const t = plan.thread
  return {
    idempotency: plan.idempotency
      ? { keyId: plan.idempotency.keyId, key: plan.idempotency.key }
      : null,
    contact: 'create' in plan.contact ? null : plan.contact.existing,
    thread: 'create' in t ? null : 'reuse' in t ? t.reuse : t.reopen,
  }
}

/** `acceptPlan` once its opening was read (alone, or with its group's: `acceptGroup`). */
function* acceptOpened(plan: AcceptPlan, opening: AcceptOpening): Program<AcceptOutcome> {
  const { now } = plan
  const idem = plan.idempotency
  if (opening.stored) return replay(opening.stored)

  let contactId: string
  // Guarded: the plan was decided on facts read at a version, or for a contact nobody had.
  const guarded = 'create' in plan.contact || plan.contact.version !== undefined
  if ('create' in plan.contact) {
    yield* tx.insertContact(plan.contact.create, now)
    contactId = plan.contact.create.id
  } else {
    contactId = plan.contact.existing
    // Sends to one person are decided one after the other, in every daemon: the lock holds
    // others back until this commits, and the version says whether anything moved since the
    // facts were read (then the caller reads them again and decides again).
    const lock = opening.lock
    if (!lock) throw new Error(`contact ${contactId} does not exist`)
    // Merged meanwhile (DESIGN §15): decided again, the send then resolves to the survivor.
    if (lock.merged_into) return { ok: false, code: 'stale' }
    const expected = plan.contact.version
    if (expected !== undefined && lock.version !== expected) return { ok: false, code: 'stale' }
  }
  if ('create' in plan.identity) {
    try {
      yield* tx.insertIdentity(plan.identity.create, contactId, now)
    } catch (error) {
      // Someone else reached this address first: decided on facts that no longer hold.
      if (guarded && error instanceof StoreConflict && error.code === 'identity_taken')
        throw new PlanOutcome({ ok: false, code: 'stale' })
      throw error
    }
  }

  const threadId = yield* applyThread(plan, contactId, opening.thread)
  const m = plan.message
  yield* tx.insertMessage({
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
    send_at: m.send_at ?? null,
  })
  if (plan.attachments.length > 0) yield* tx.insertAttachments(m.id, plan.attachments, now)
  yield* tx.insertOutbox({
    messageId: m.id,
    channel: m.channel,
    recipientKey: plan.outbox.recipientKey,
    dueAt: plan.outbox.dueAt,
    // A bulk's jobs yield to single sends that are due at the same time.
    priority: m.bulk_id ? 'bulk' : 'single',
  })
  if (idem) {
    const put = { ...idem, at: now }
    if (!(yield* tx.putIdempotency(put))) {
      // A send with the same key committed while this one was deciding: answer as it did.
      const stored = yield* tx.getIdempotency(idem.keyId, idem.key)
      if (stored) throw new PlanOutcome(replay(stored))
    }
  }
  // A bulk message is not activity with the contact: 100 000 recipients jumping to the top of
  // "newest activity first" would bury the real conversations (a reply moves them up).
  if (!m.bulk_id) yield* tx.touchContact(contactId, now)
  // A thread created just now already has this time.
  if (!('create' in plan.thread)) yield* tx.touchThread(threadId, now)
  if (plan.events && plan.events.length > 0) yield* tx.enqueueEvents(plan.events)
  return { ok: true, messageId: m.id, threadId, contactId }
}

function replay(s: { bodyHash: string; status: number; response: string }): AcceptOutcome {
  return { ok: false, code: 'idempotency_replay', ...s }
}

/** `loaded`: the thread a reuse or reopen names, as read under the contact's lock. */
function* applyThread(
  plan: AcceptPlan,
  contactId: string,
  loaded: ThreadState | null,
): Program<string> {
  const t = plan.thread
  const { now } = plan
  if ('create' in t) {
    // Under the contact's lock (every thread creation and reopening takes it), so the check and
    // the insert are one step for every daemon.
    const other = t.singleOpen ? (yield* tx.activeThreads(contactId))[0] : undefined
    if (other) {
      throw new PlanOutcome({
        ok: false,
        code: 'thread_conflict',
        thread: { id: other.id, assignee: other.assignee },
      })
    }
    yield* openThread({ ...t.create, contact_id: contactId }, t.actor, now)
    return t.create.id
  }
  const id = 'reuse' in t ? t.reuse : t.reopen
  const row = loaded
  if (!row) throw new Error(`thread ${id} does not exist`)
  if (row.contact_id !== contactId) throw new Error(`thread ${id} belongs to another contact`)
  // A thread closed since the gateway looked is reopened: a message never lands in a closed thread.
  if ('reopen' in t || row.status === 'closed') yield* reopen(row, t.actor, now)
  if (t.assign !== null) yield* assign(row, t.assign, t.actor, now)
  yield* addTags(row, t.addTags, t.actor, now)
  return id
}

/** How one plan of a group ended: its outcome, or the error that undid it (and only it). */
export type GroupSettled = { outcome: AcceptOutcome } | { error: unknown }

/**
 * Thrown by a group's first pass when a plan failed after it had written: without savepoints its
 * writes cannot be undone alone, so the transaction is rolled back and the group run again with
 * `savepoints` (rare: a thread conflict, a contact that moved, a failed write).
 */
class GroupRetry extends Error {
  constructor(cause: unknown) {
    super('a plan of the group failed after writing; run again with savepoints', { cause })
    this.name = 'GroupRetry'
  }
}

/**
 * Several accepts in one transaction (group commit on PostgreSQL: one commit, one WAL flush),
 * their openings read at once. No two plans may name the same contact or idempotency key (each
 * plan's facts are read before any plan writes): `apart` picks such groups. The first pass runs
 * without savepoints (a savepoint costs the server a subtransaction per plan) and throws
 * GroupRetry when a plan fails; the second runs each plan in its own savepoint, so one plan's
 * conflict or error undoes only that plan. A store fault fails the whole group.
 */
export function* acceptGroup(
  plans: readonly AcceptPlan[],
  savepoints: boolean,
): Program<GroupSettled[]> {
  const openings = yield* tx.openAccepts(plans.map(acceptReads))
  const settled: GroupSettled[] = []
  for (const [i, plan] of plans.entries()) {
    const opening = openings[i]
    if (!opening) throw new Error('openAccepts answered fewer openings than plans')
    if (!savepoints) {
      try {
        settled.push({ outcome: yield* acceptOpened(plan, opening) })
      } catch (error) {
        if (storeFault(error)) throw error
        throw new GroupRetry(error)
      }
      continue
    }
    try {
      settled.push({ outcome: yield* inSavepoint(acceptOpened(plan, opening)) })
    } catch (error) {
      if (error instanceof PlanOutcome) settled.push({ outcome: error.outcome })
      else if (storeFault(error)) throw error
      else settled.push({ error })
    }
  }
  return settled
}

/**
 * Splits `plans` into the first group of at most `max` that share no contact and no
 * idempotency key, and the rest (in their order) for a later group.
 */
export function apart<P extends { plan: AcceptPlan }>(
  plans: readonly P[],
  max: number,
): { group: P[]; rest: P[] } {
  const group: P[] = []
  const rest: P[] = []
  const taken = new Set<string>()
  for (const p of plans) {
    const r = acceptReads(p.plan)
    const keys = [
      r.contact === null ? null : `c:${r.contact}`,
      r.idempotency ? `k:${r.idempotency.keyId}:${r.idempotency.key}` : null,
    ].filter((k): k is string => k !== null)
    // A plan left for later holds its contact and key back too: sends to one person keep order.
    if (group.length >= max || keys.some((k) => taken.has(k))) rest.push(p)
    else group.push(p)
    for (const k of keys) taken.add(k)
  }
  return { group, rest }
}
