/**
 * The transaction port (core/port.ts) on PostgreSQL: each operation one or two statements on the
 * transaction's connection, awaited by `runAsync`. `lockContact` is `SELECT … FOR UPDATE`, so
 * sends to one person are decided one after the other across every daemon. Savepoints use one
 * name at every level: PostgreSQL resolves it to the innermost open one, as SQLite does.
 */
import type { AsyncTxPort } from '../core/port.js'
import * as automations from './automation-rows.js'
import * as bulk from './bulk-rows.js'
import * as consent from './consent-rows.js'
import * as contacts from './contact-rows.js'
import { eraseContactRows } from './erase-rows.js'
import { openAccept, openAccepts } from './accept-reads.js'
import type { Sql } from './exec.js'
import * as merge from './merge-rows.js'
import * as messageReads from './message-reads.js'
import * as messages from './message-rows.js'
import * as threads from './thread-rows.js'

const NEWEST_THREAD = `SELECT id FROM threads WHERE contact_id = $1 ORDER BY seq DESC LIMIT 1`

export function pgTxPort(sql: Sql): AsyncTxPort {
  return {
    lockContact: (id) => contacts.lockContact(sql, id),
    eraseContactRows: (id, at, by) => eraseContactRows(sql, id, at, by),
    mergeContactRows: (from, into) => merge.mergeContactRows(sql, from, into),
    reindexContact: (id) => merge.reindexContact(sql, id),
    mergedIds: (id) => merge.mergedIds(sql, id),
    bumpContactVersion: (id) => contacts.bumpContactVersion(sql, id),
    getContact: (id) => contacts.getContact(sql, id),
    insertContact: (c, now) => contacts.insertContact(sql, c, now),
    updateContact: (id, patch, now) => contacts.updateContact(sql, id, patch, now),
    touchContact: (id, now) => contacts.touchContact(sql, id, now),

    findIdentity: (channel, address) => contacts.findIdentity(sql, channel, address),
    insertIdentity: (i, contactId, now) => contacts.insertIdentity(sql, i, contactId, now),
    markInbound: (id, at) => contacts.markInbound(sql, id, at),
    setReachable: (channel, address, reachable) =>
      contacts.setReachable(sql, channel, address, reachable),

    loadThread: (id) => threads.loadThread(sql, id),
    activeThreads: (contactId, channel) => threads.activeThreads(sql, contactId, channel),
    dueSnoozed: (now) => threads.dueSnoozed(sql, now),
    replyThreadId: (contactId, channel, ids) => threads.replyThreadId(sql, contactId, channel, ids),
    insertThread: (t, now) => threads.insertThread(sql, t, now),
    saveThread: (t) => threads.saveThread(sql, t),
    touchThread: (id, now) => threads.touchThread(sql, id, now),
    threadTags: (id) => threads.threadTags(sql, id),
    addThreadTags: (id, tags) => threads.addThreadTags(sql, id, tags),
    removeThreadTags: (id, tags) => threads.removeThreadTags(sql, id, tags),
    insertThreadEvent: (e) => threads.insertThreadEvent(sql, e),

    findInbound: (channel, pmid) => messages.findInbound(sql, channel, pmid),
    insertMessage: (m) => messages.insertMessage(sql, m),
    insertAttachments: (id, list, now) => messages.insertAttachments(sql, id, list, now),
    messageStatus: (id) => messages.messageStatus(sql, id),
    getMessage: (id) => messageReads.getMessage(sql, id),
    setMessageStatus: (id, status, at, extra) =>
      messages.setMessageStatus(sql, id, status, at, extra),
    flagUndelivered: (id, at) => messages.flagUndelivered(sql, id, at),
    requeueMessage: (id, at, earlier) => messages.requeueMessage(sql, id, at, earlier),

    insertOutbox: (j) => messages.insertOutbox(sql, j),
    completeJob: (c) => messages.completeJob(sql, c),
    completeJobs: (list) => messages.completeJobs(sql, list),
    failJob: (c) => messages.failJob(sql, c),
    retryJob: (c) => messages.retryJob(sql, c),
    cancelLeasedJob: (jobId, messageId, at) => messages.cancelLeasedJob(sql, jobId, messageId, at),
    releaseJob: (jobId, dueAtMs) => messages.releaseJob(sql, jobId, dueAtMs),
    cancelQueuedJob: (messageId, nowMs) => messages.cancelQueuedJob(sql, messageId, nowMs),
    cancelMessage: (messageId, at) => messages.cancelMessage(sql, messageId, at),

    openAccept: (q) => openAccept(sql, q),
    openAccepts: (qs) => openAccepts(sql, qs),
    getIdempotency: (keyId, key) => messages.lockIdempotency(sql, keyId, key),
    putIdempotency: (r) => messages.putIdempotency(sql, r),
    enqueueEvents: (events) => messages.enqueueEvents(sql, events),

    lastAutomationFiring: (automation, contactId) =>
      automations.lastFiring(sql, automation, contactId),
    insertAutomationFiring: (f) => automations.insertFiring(sql, f),
    skipAutomationFiring: (automation, key, code) =>
      automations.skipFiring(sql, automation, key, code),

    consentStatus: (contactId, channel) => consent.consentStatus(sql, contactId, channel),
    saveConsent: (c) => consent.saveConsent(sql, c),
    latestThreadId: (contactId, channel) => consent.latestThreadId(sql, contactId, channel),
    newestThreadId: async (contactId) =>
      (await sql.one<{ id: string }>(NEWEST_THREAD, [contactId]))?.id ?? null,

    getBulk: (id) => bulk.getBulk(sql, id),
    lockBulk: (id) => bulk.lockBulk(sql, id),
    insertBulk: (b, now) => bulk.insertBulk(sql, b, now),
    insertRecipientPage: (id, page, ids) => bulk.insertRecipientPage(sql, id, page, ids),
    recipientPage: (id, page) => bulk.recipientPage(sql, id, page),
    deleteRecipientPages: (id) => bulk.deleteRecipientPages(sql, id),
    bulkHasMessageFor: (id, contactId) => bulk.bulkHasMessageFor(sql, id, contactId),
    saveBulkProgress: (id, progress) => bulk.saveBulkProgress(sql, id, progress),
    bulkCounts: (id) => bulk.bulkCounts(sql, id),
    bulkHasPending: (id) => bulk.bulkHasPending(sql, id),
    finishBulk: (id, status, now) => bulk.finishBulk(sql, id, status, now),
    cancelBulk: (id, now) => bulk.cancelBulk(sql, id, now),
    failBulk: (id, error, now) => bulk.failBulk(sql, id, error, now),
    cancellableJobs: (id, nowMs, limit) => bulk.cancellableJobs(sql, id, nowMs, limit),

    savepoint: async () => {
      await sql.run('SAVEPOINT core')
    },
    releaseSavepoint: async () => {
      await sql.run('RELEASE core')
    },
    rollbackSavepoint: async () => {
      await sql.run('ROLLBACK TO core')
      await sql.run('RELEASE core')
    },
  }
}
