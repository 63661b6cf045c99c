/**
 * The transaction port (core/port.ts) on SQLite: every operation a prepared statement or two on
 * the one connection, run synchronously inside the transaction the store opened. Savepoints
 * carry the search index's deferred writes with them (search-index.ts), so a plan rolled back
 * in a group commit leaves no search row behind.
 */
import type { AcceptOpening, AcceptReads, TxPort } from '../core/port.js'
import type { StoredIdempotency } from '../types.js'
import type { AutomationRows } from './automation-rows.js'
import type { BulkRows } from './bulk-rows.js'
import type { ConsentRows } from './consent-rows.js'
import type { ContactWriter } from './contact-writer.js'
import type { EventQueue } from './event-queue.js'
import type { Executor } from './executor.js'
import type { IdentityRepo } from './identity-repo.js'
import type { MessageRepo } from './message-repo.js'
import type { MessageWriter } from './message-writer.js'
import type { OutboxRows } from './outbox-rows.js'
import { eraseContactRows } from './erase-rows.js'
import { mergeContactRows, mergedIds } from './merge-rows.js'
import { toContact } from './rows.js'
import type { ContactRow } from './schema.js'
import type { SearchIndex } from './search-index.js'
import type { ThreadRows } from './thread-rows.js'

const CONTACT = `SELECT * FROM contacts WHERE id = ?`
const NEWEST_THREAD = `SELECT id FROM threads WHERE contact_id = ? ORDER BY seq DESC LIMIT 1`
const IDEMPOTENCY_GET = `SELECT body_hash AS bodyHash, status, response FROM idempotency
  WHERE key_id = ? AND key = ?`
const IDEMPOTENCY_PUT = `INSERT INTO idempotency
  (key_id, key, body_hash, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (key_id, key) DO NOTHING`
// One name for every level: SQLite resolves a name to the innermost savepoint that has it.
const SAVEPOINT = `SAVEPOINT core`
const RELEASE = `RELEASE core`
const ROLLBACK_TO = `ROLLBACK TO core`

export interface PortParts {
  x: Executor
  index: SearchIndex
  contacts: ContactWriter
  identities: IdentityRepo
  threads: ThreadRows
  messages: MessageWriter
  outbox: OutboxRows
  events: EventQueue
  bulks: BulkRows
  consent: ConsentRows
  automations: AutomationRows
  /** Whole messages (with attachments), for what a write answers with. */
  messageReads: Pick<MessageRepo, 'get'>
}

export function sqliteTxPort(p: PortParts): TxPort {
  const { x, index, contacts, identities, threads, messages, outbox, bulks } = p
  /** The search index's undo marks of the open savepoints, innermost last. */
  const marks: number[] = []
  const getIdempotency = (keyId: string, key: string): StoredIdempotency | null =>
    (x.stmt(IDEMPOTENCY_GET).get(keyId, key) as StoredIdempotency | undefined) ?? null
  const openAccept = (q: AcceptReads): AcceptOpening => ({
    stored: q.idempotency ? getIdempotency(q.idempotency.keyId, q.idempotency.key) : null,
    lock: q.contact === null ? null : contacts.lock(q.contact),
    thread: q.thread === null ? null : threads.load(q.thread),
  })
  return {
    lockContact: (id) => contacts.lock(id),
    eraseContactRows: (id, at, by) => eraseContactRows(x, id, at, by),
    mergeContactRows: (from, into) => mergeContactRows(x, contacts, from, into),
    reindexContact: (id) => contacts.reindex(id),
    mergedIds: (id) => mergedIds(x, id),
    bumpContactVersion: (id) => contacts.bumpVersion(id),
    getContact: (id) => {
      const row = x.stmt(CONTACT).get(id) as ContactRow | undefined
      return row ? toContact(row) : null
    },
    insertContact: (c, now) => contacts.insert(c, now),
    updateContact: (id, patch, now) => contacts.update(id, patch, now),
    touchContact: (id, now) => contacts.touch(id, now),

    findIdentity: (channel, address) => identities.find(channel, address),
    insertIdentity: (i, contactId, now) => identities.insert(i, contactId, now),
    markInbound: (id, at) => identities.markInbound(id, at),
    setReachable: (channel, address, reachable) =>
      identities.setReachable(channel, address, reachable),

    loadThread: (id) => threads.load(id),
    activeThreads: (contactId, channel) => threads.active(contactId, channel),
    dueSnoozed: (now) => threads.dueSnoozed(now),
    replyThreadId: (contactId, channel, ids) => threads.replyThreadId(contactId, channel, ids),
    insertThread: (t, now) => threads.insert(t, now),
    saveThread: (t) => threads.save(t),
    touchThread: (id, now) => threads.touch(id, now),
    threadTags: (id) => threads.tags(id),
    addThreadTags: (id, tags) => threads.addTags(id, tags),
    removeThreadTags: (id, tags) => threads.removeTags(id, tags),
    insertThreadEvent: (e) => threads.event(e),

    findInbound: (channel, pmid) => messages.findInbound(channel, pmid),
    insertMessage: (m) => messages.insert(m),
    insertAttachments: (id, list, now) => messages.attachments(id, list, now),
    messageStatus: (id) => messages.status(id),
    getMessage: (id) => p.messageReads.get(id),
    setMessageStatus: (id, status, at, extra) => messages.setStatus(id, status, at, extra),
    flagUndelivered: (id, at) => messages.flagUndelivered(id, at),
    requeueMessage: (id, at, earlier) => messages.requeue(id, at, earlier),

    insertOutbox: (j) => outbox.insert(j),
    completeJob: (c) => outbox.complete(c),
    completeJobs: (list) => {
      for (const c of list) outbox.complete(c) // prepared statements: a batch costs no more
    },
    failJob: (c) => outbox.fail(c),
    retryJob: (c) => outbox.retry(c),
    cancelLeasedJob: (jobId, messageId, at) => outbox.cancelLeased(jobId, messageId, at),
    releaseJob: (jobId, dueAtMs) => outbox.release(jobId, dueAtMs),
    cancelQueuedJob: (messageId, nowMs) => outbox.cancelQueued(messageId, nowMs),
    cancelMessage: (messageId, at) => outbox.cancelMessage(messageId, at),

    openAccept,
    openAccepts: (qs) => qs.map(openAccept),
    getIdempotency: (keyId, key) => getIdempotency(keyId, key),
    putIdempotency: (r) =>
      x.stmt(IDEMPOTENCY_PUT).run(r.keyId, r.key, r.bodyHash, r.status, r.response, r.at).changes >
      0,
    enqueueEvents: (events) => p.events.enqueue(events),

    lastAutomationFiring: (automation, contactId) => p.automations.last(automation, contactId),
    insertAutomationFiring: (f) => p.automations.insert(f),
    skipAutomationFiring: (automation, key, code) => p.automations.skip(automation, key, code),

    consentStatus: (contactId, channel) => p.consent.status(contactId, channel),
    saveConsent: (c) => p.consent.save(c),
    latestThreadId: (contactId, channel) => p.consent.latestThreadId(contactId, channel),
    newestThreadId: (contactId) =>
      (x.stmt(NEWEST_THREAD).get(contactId) as { id: string } | undefined)?.id ?? null,

    getBulk: (id) => bulks.get(id),
    lockBulk: (id) => bulks.get(id), // one writer: the transaction is the lock
    insertBulk: (b, now) => bulks.insert(b, now),
    insertRecipientPage: (id, page, ids) => bulks.insertPage(id, page, ids),
    recipientPage: (id, page) => bulks.page(id, page),
    deleteRecipientPages: (id) => bulks.deletePages(id),
    bulkHasMessageFor: (id, contactId) => bulks.hasMessageFor(id, contactId),
    saveBulkProgress: (id, progress) => bulks.saveProgress(id, progress),
    bulkCounts: (id) => bulks.counts(id),
    bulkHasPending: (id) => bulks.hasPending(id),
    finishBulk: (id, status, now) => bulks.finish(id, status, now),
    cancelBulk: (id, now) => bulks.cancel(id, now),
    failBulk: (id, error, now) => bulks.fail(id, error, now),
    cancellableJobs: (id, nowMs, limit) => bulks.cancellable(id, nowMs, limit),

    savepoint: () => {
      x.stmt(SAVEPOINT).run()
      marks.push(index.mark())
    },
    releaseSavepoint: () => {
      marks.pop()
      x.stmt(RELEASE).run()
    },
    rollbackSavepoint: () => {
      const mark = marks.pop()
      if (mark !== undefined) index.undo(mark)
      // SQLite may have rolled the whole transaction back already (SQLITE_FULL, IOERR): then
      // there is nothing to undo, and the error that did it is the one to pass on.
      if (!x.db.inTransaction) return
      x.stmt(ROLLBACK_TO).run()
      x.stmt(RELEASE).run()
    },
  }
}
