/**
 * The Store's writes, decided once for every dialect: each method is a core program run in one
 * transaction by the dialect's `run` (SQLite: synchronously under its one writer; PostgreSQL: on
 * a pooled client, BEGIN … COMMIT). A dialect spreads these into its Store next to its own reads,
 * and may replace one with a tuned variant that runs the same program (SQLite: accept's group
 * commit, a bulk chunk without its own fsync).
 */
import type {
  ContactRecord,
  IdentityRecord,
  MessageError,
  MessageStatus,
  NewEvent,
  Store,
  ThreadRecord,
} from '../types.js'
import { storeFault } from '../store-fault.js'
import { StoreConflict } from '../types.js'
import {
  applyChunk,
  cancelBulk,
  cancelPending,
  createBulk,
  failBulk,
  finishBulk,
  recipients,
} from './bulk.js'
import { recordConsent } from './consent.js'
import { claimFiring, skipFiring } from './automations.js'
import { receiveInbound } from './inbound.js'
import { mergeContacts } from './merge.js'
import { canAdvance } from './message-status.js'
import { cancelQueued, recordAll, recordOutcomes } from './outbox.js'
import { retryMessage } from './retry.js'
import type { ErasedContact, ThreadState } from './port.js'
import { tx, type Program } from './program.js'
import { assign, close, openThread, reopen, setTags, snooze, threadRecord } from './threads.js'

/** Runs a program in one transaction of the dialect; rejects with its error (nothing written). */
export type RunTx = <T>(program: Program<T>) => Promise<T>

/**
 * How often a write whose insert met a row another daemon committed meanwhile (an inbound
 * message's contact or dedupe row, an opt-in's identity) is run again: once finds that row.
 */
const CONFLICT_RETRIES = 2

export interface CoreWrites {
  contacts: Pick<Store['contacts'], 'create' | 'update' | 'merge'>
  /** Erasure: what the dialect deletes after the commit (blob files), null for no contact. */
  erase(id: string, at: string, by: string): Promise<ErasedContact | null>
  identities: Pick<Store['identities'], 'optIn' | 'setReachable'>
  threads: Pick<Store['threads'], 'create' | 'close' | 'snooze' | 'assign' | 'setTags' | 'wakeDue'>
  messages: Pick<Store['messages'], 'advance' | 'flagUndelivered' | 'retry'>
  inbound: Store['inbound']
  bulk: Pick<
    Store['bulk'],
    'create' | 'recipients' | 'applyChunk' | 'finish' | 'cancel' | 'cancelPending' | 'fail'
  >
  outbox: Pick<Store['outbox'], 'record' | 'cancel'>
  consent: Pick<Store['consent'], 'record'>
  automations: Pick<Store['automations'], 'claim' | 'skip'>
}

export function coreWrites(run: RunTx): CoreWrites {
  const change = (id: string, events: NewEvent[], step: (t: ThreadState) => Program<void>) =>
    run(changeThread(id, events, step))
  return {
    contacts: {
      create: (c, identities, now) => run(createContact(c, identities, now)),
      update: (id, patch, now) =>
        run(
          (function* () {
            if (!(yield* tx.updateContact(id, patch, now))) return null
            return yield* mustContact(id)
          })(),
        ),
      merge: (m) => run(mergeContacts(m)),
    },
    erase: (id, at, by) =>
      run(
        (function* () {
          if (!(yield* tx.lockContact(id))) return null
          // The contacts merged into it still hold their own fields: they go too, each with
          // its tombstone, so their ids answer as erased.
          const blobs: string[] = []
          for (const merged of yield* tx.mergedIds(id)) {
            blobs.push(...(yield* tx.eraseContactRows(merged, at, by)).blobs)
          }
          const erased = yield* tx.eraseContactRows(id, at, by)
          return { blobs: [...new Set([...blobs, ...erased.blobs])] }
        })(),
      ),
    identities: {
      optIn: (contactId, i, now) => retryConflicts(run, () => optIn(contactId, i, now)),
      setReachable: (channel, address, reachable) =>
        run(tx.setReachable(channel, address, reachable)),
    },
    threads: {
      create: (t, singleOpen, actor, now, events) =>
        run(createThread(t, singleOpen, actor, now, events)),
      close: (id, unassign, actor, now, events) =>
        change(id, events, (t) => close(t, unassign, actor, now)),
      snooze: (id, until, actor, now, events) =>
        change(id, events, (t) => snooze(t, until, actor, now)),
      assign: (id, agent, actor, now, events) =>
        change(id, events, (t) => assign(t, agent, actor, now)),
      setTags: (id, tags, actor, now, events) =>
        change(id, events, (t) => setTags(t, tags, actor, now)),
      wakeDue: (now) => run(wakeDue(now)),
    },
    messages: {
      advance: (id, status, at, extra, events) => run(advance(id, status, at, extra, events)),
      flagUndelivered: (id, at, events) =>
        run(
          (function* () {
            if (!(yield* tx.flagUndelivered(id, at))) return false
            if (events.length > 0) yield* tx.enqueueEvents(events)
            return true
          })(),
        ),
      retry: (r) => run(retryMessage(r)),
    },
    inbound: { receive: (plan) => retryConflicts(run, () => receiveInbound(plan)) },
    bulk: {
      create: (b, now) => run(createBulk(b, now)),
      recipients: (id, from, limit) => run(recipients(id, from, limit)),
      applyChunk: (c) => run(applyChunk(c)),
      finish: (id, now, events) => run(finishBulk(id, now, events)),
      cancel: (id, now) => run(cancelBulk(id, now)),
      cancelPending: (id, at, nowMs, limit) => run(cancelPending(id, at, nowMs, limit)),
      fail: (id, now, error, events) => run(failBulk(id, now, error, events)),
    },
    outbox: {
      record: async (outcomes) => {
        try {
          return await run(recordAll(outcomes))
        } catch (error) {
          // A store fault fails the call as one; an outcome that cannot be recorded (a bug) is
          // found and set aside by the savepoint per outcome.
          if (storeFault(error)) throw error
          return run(recordOutcomes(outcomes))
        }
      },
      cancel: (ids, at) => run(cancelQueued(ids, at)),
    },
    consent: { record: (c) => run(recordConsent(c)) },
    automations: {
      claim: (f) => run(claimFiring(f)),
      skip: (automation, key, code, events) => run(skipFiring(automation, key, code, events)),
    },
  }
}

/**
 * Runs the write again when an insert met a unique row committed since the write read (another
 * daemon's; never on SQLite, whose one writer runs each write whole): the next run reads it.
 */
async function retryConflicts<T>(run: RunTx, program: () => Program<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run(program())
    } catch (error) {
      if (!(error instanceof StoreConflict) || attempt >= CONFLICT_RETRIES) throw error
    }
  }
}

function* createContact(
  c: Parameters<Store['contacts']['create']>[0],
  identities: { id: string; channel: string; address: string }[],
  now: string,
): Program<ContactRecord> {
  yield* tx.insertContact(c, now)
  for (const i of identities) yield* tx.insertIdentity(i, c.id, now)
  return yield* mustContact(c.id)
}

function* optIn(
  contactId: string,
  i: { id: string; channel: string; address: string },
  now: string,
): Program<IdentityRecord> {
  const found = yield* tx.findIdentity(i.channel, i.address)
  if (!found) yield* tx.insertIdentity(i, contactId, now)
  yield* tx.markInbound(found?.id ?? i.id, now)
  const identity = yield* tx.findIdentity(i.channel, i.address)
  if (!identity) throw new Error(`identity ${i.id} vanished inside its own transaction`)
  return identity
}

function* createThread(
  t: { id: string; contact_id: string; channel: string; assignee: string | null; tags: string[] },
  singleOpen: boolean,
  actor: string,
  now: string,
  events: NewEvent[],
): Program<ThreadRecord> {
  // Every thread creation and reopening takes the contact's lock: the check and the insert are
  // one step for every daemon.
  yield* tx.lockContact(t.contact_id)
  const other = singleOpen ? (yield* tx.activeThreads(t.contact_id))[0] : undefined
  if (other) {
    throw new StoreConflict('thread_conflict', {
      thread: { id: other.id, assignee: other.assignee },
    })
  }
  yield* openThread(t, actor, now)
  if (events.length > 0) yield* tx.enqueueEvents(events)
  return yield* mustThread(t.id)
}

function* changeThread(
  id: string,
  events: NewEvent[],
  step: (t: ThreadState) => Program<void>,
): Program<ThreadRecord | null> {
  const found = yield* tx.loadThread(id)
  if (!found) return null
  yield* tx.lockContact(found.contact_id)
  // Read again under the lock: another daemon may have changed it while this one waited.
  const t = (yield* tx.loadThread(id)) ?? found
  yield* step(t)
  if (events.length > 0) yield* tx.enqueueEvents(events)
  return yield* mustThread(id)
}

function* wakeDue(now: string): Program<ThreadRecord[]> {
  const due = yield* tx.dueSnoozed(now)
  const out: ThreadRecord[] = []
  for (const t of due) {
    yield* reopen(t, 'system', now)
    out.push(yield* mustThread(t.id))
  }
  return out
}

function* advance(
  id: string,
  status: MessageStatus,
  at: string,
  extra: { error?: MessageError; platformMessageId?: string },
  events: NewEvent[],
): Program<boolean> {
  const from = yield* tx.messageStatus(id)
  if (from === null || !canAdvance(from, status)) return false
  yield* tx.setMessageStatus(id, status, at, extra)
  if (events.length > 0) yield* tx.enqueueEvents(events)
  return true
}

function* mustContact(id: string): Program<ContactRecord> {
  const c = yield* tx.getContact(id)
  if (!c) throw new Error(`contact ${id} vanished inside its own transaction`)
  return c
}

function* mustThread(id: string): Program<ThreadRecord> {
  const t = yield* threadRecord(id)
  if (!t) throw new Error(`thread ${id} vanished inside its own transaction`)
  return t
}
