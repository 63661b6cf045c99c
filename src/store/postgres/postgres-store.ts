/**
 * Assembles the PostgreSQL Store (DESIGN §10): the core's writes over the PostgreSQL transaction
 * port, the dialect's reads, leases, search and blob table, on one `pg` pool: raw statements on
 * `pg` directly (exec.ts: named, prepared once per connection), kysely's PostgresDialect for the
 * queries it builds (search).
 *
 * Concurrency: each write is one transaction on a pooled connection (BEGIN … COMMIT, exec.ts),
 * its core program awaited operation by operation; nothing but its own statements runs inside it.
 * Several requests — and several daemons — write at once: the database's locks and constraints
 * keep them apart (contact row locks, unique indexes, SKIP LOCKED leases). Accepts are group
 * committed (group-accept.ts): those arriving while others commit share a transaction and its
 * WAL flush; each is committed before its 202, as on SQLite.
 */
import { Kysely, PostgresDialect } from 'kysely'
import type pg from 'pg'
import { acceptPlan, PlanOutcome } from '../core/accept.js'
import { applyChunk } from '../core/bulk.js'
import { runAsync, type Program } from '../core/program.js'
import { coreWrites } from '../core/writes.js'
import type { AcceptOutcome, AcceptPlan, Store } from '../types.js'
import { blobTable } from './blob-table.js'
import { bulkCounts, getBulk, listUnfinished } from './bulk-rows.js'
import * as automations from './automation-rows.js'
import * as consent from './consent-rows.js'
import * as contacts from './contact-reads.js'
import { findIdentity, getContact } from './contact-rows.js'
import { inTransaction, sqlOnPool, type Sql } from './exec.js'
import { pgNotifications } from './notifications.js'
import { PgAdvisoryLocks } from './advisory-locks.js'
import { connectionLost } from './pg-faults.js'
import { getIdempotency } from './message-rows.js'
import * as messages from './message-reads.js'
import * as queues from './queues.js'
import { sharedPacing } from './rate-slots.js'
import type { PgSchema } from './schema.js'
import * as threads from './thread-reads.js'
import { mergedIds } from './merge-rows.js'
import { pgTxPort } from './tx-port.js'
import { PgGroupAccept } from './group-accept.js'
import { readGroup } from './read-group.js'
import { webchatRows } from './webchat-rows.js'

const KV_GET = `SELECT value FROM kv WHERE scope = $1 AND key = $2`
const KV_SET = `INSERT INTO kv (scope, key, value) VALUES ($1, $2, $3)
  ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value`

/** The PostgreSQL store plus what the daemon's health check needs (store-faults.ts). */
export interface PostgresStore extends Store {
  /** A small committed write: throws the store's error while PostgreSQL cannot take writes. */
  probeWrites(now: string): Promise<{ walTruncated: boolean }>
}

/** `url`: the pool's URL, for the notifications' own listening connections. */
export function createPostgresStore(pool: pg.Pool, url: string): PostgresStore {
  const db = new Kysely<PgSchema>({ dialect: new PostgresDialect({ pool }) })
  const work = new InFlight()
  const sql = work.guard(sqlOnPool(pool))
  // A send's recipient facts: the reads of one turn share a round trip (read-group.ts).
  const reads = readGroup(sql)
  /** Tracked for close(); the driver's connection failures as store faults (pg-faults.ts). */
  const edge = <T>(fn: () => Promise<T>): Promise<T> =>
    work.track(async () => {
      try {
        return await fn()
      } catch (error) {
        throw connectionLost(error)
      }
    })
  const transaction = <T>(fn: (s: Sql) => Promise<T>): Promise<T> =>
    edge(() => inTransaction(pool, fn))
  const run = <T>(program: Program<T>): Promise<T> =>
    transaction((s) => runAsync(pgTxPort(s), program))
  const core = coreWrites(run)

  // The accepts' transactions are not tracked by `work` themselves: each accept is, until its
  // group's commit settles it, so close() lets a pending group commit before the pool ends.
  const acceptTransaction = async <T>(fn: (s: Sql) => Promise<T>): Promise<T> => {
    try {
      return await inTransaction(pool, fn, { genericPlans: true })
    } catch (error) {
      throw connectionLost(error)
    }
  }
  const acceptAlone = async (plan: AcceptPlan): Promise<AcceptOutcome> => {
    try {
      return await acceptTransaction((s) => runAsync(pgTxPort(s), acceptPlan(plan)))
    } catch (error) {
      // Rolled back whole (its own transaction): the outcome is the answer.
      if (error instanceof PlanOutcome) return error.outcome
      throw error
    }
  }
  const groups = new PgGroupAccept({ transaction: acceptTransaction, single: acceptAlone })
  const accept = (plan: AcceptPlan): Promise<AcceptOutcome> => work.track(() => groups.submit(plan))

  return {
    contacts: {
      ...core.contacts,
      get: (id) => getContact(sql, id),
      recipient: (id, key) => contacts.recipientRead(reads, id, key),
      findByExternalId: (externalId) => contacts.contactByExternalId(sql, externalId),
      // Built by kysely's query builder on the pool: the same edge as raw statements.
      search: (s) => edge(() => contacts.searchContacts(db, s)),
      searchIds: (s, max) => edge(() => contacts.searchIds(db, s, max)),
      mergedInto: (id) => mergedIds(sql, id),
      // Blobs are rows here: the unreferenced ones went in the erasure's own transaction.
      erase: async (id, at, by) => (await core.erase(id, at, by)) !== null,
    },
    identities: {
      ...core.identities,
      listByContact: (contactId) => contacts.identitiesOf(sql, contactId),
      listByContacts: (contactIds) => contacts.identitiesOfMany(sql, contactIds),
      find: (channel, address) => findIdentity(sql, channel, address),
    },
    threads: {
      ...core.threads,
      get: (id) => threads.getThread(sql, id),
      listActiveByContact: (contactId) => threads.activeByContact(sql, contactId),
      list: (f) => threads.listThreads(sql, f),
      events: (threadId) => threads.threadEvents(sql, threadId),
    },
    messages: {
      ...core.messages,
      get: (id) => messages.getMessage(sql, id),
      listByThread: (threadId, limit, cursor) =>
        messages.listByThread(sql, threadId, limit, cursor),
      timeline: (contactId, limit, cursor) => messages.timeline(sql, contactId, limit, cursor),
      findByPlatformId: (channel, pmid) => messages.findByPlatformId(sql, channel, pmid),
      emailIds: (threadId) => messages.emailIds(sql, threadId),
      countUnrepliedSince: (channel, since) => messages.countUnrepliedSince(sql, channel, since),
      listAwaitingAck: (channel, sentBefore, limit) =>
        messages.listAwaitingAck(sql, channel, sentBefore, limit),
    },
    accept,
    idempotency: { get: (keyId, key) => getIdempotency(sql, keyId, key) },
    inbound: core.inbound,
    bulk: {
      ...core.bulk,
      applyChunk: (c) => run(applyChunk(c)),
      get: (id) => getBulk(sql, id),
      listUnfinished: () => listUnfinished(sql),
      facts: (ids, channel) => contacts.bulkFacts(sql, ids, channel),
      counts: (id) => bulkCounts(sql, id),
    },
    outbox: {
      ...core.outbox,
      lease: (nowMs, limit, leaseMs, skip) =>
        transaction((s) => queues.leaseOutbox(s, nowMs, limit, leaseMs, skip)),
      depth: () => queues.outboxDepth(sql),
      nextDue: (skip) => queues.outboxNextDue(sql, skip),
    },
    webhooks: {
      lease: (nowMs, limit, leaseMs) =>
        transaction((s) => queues.leaseWebhooks(s, nowMs, limit, leaseMs)),
      record: (outcomes) => transaction((s) => queues.recordWebhooks(s, outcomes)),
      depth: () => queues.webhookDepth(sql),
      deadLetters: (limit, cursor) => queues.deadLetters(sql, limit, cursor),
      replay: (id, nowMs) => transaction((s) => queues.replayDeadLetter(s, id, nowMs)),
    },
    kv: {
      get: async (scope, key) =>
        (await sql.one<{ value: string }>(KV_GET, [scope, key]))?.value ?? null,
      set: async (scope, key, value) => {
        await sql.run(KV_SET, [scope, key, value])
      },
    },
    attachments: { get: (id) => messages.getAttachment(sql, id) },
    webchat: webchatRows(sql, transaction),
    consent: {
      ...core.consent,
      state: (contactId) => consent.consentState(sql, contactId),
      history: (contactId) => consent.consentHistory(sql, contactId),
      optedOut: (ids, channel) => consent.optedOut(sql, ids, channel),
    },
    automations: {
      ...core.automations,
      silentThreads: (q) => automations.silentThreads(sql, q),
      inboundCount: (contactId, max) => automations.inboundCount(sql, contactId, max),
    },
    blobs: blobTable(sql),
    notifications: pgNotifications(sql, url),
    sharedLocks: (o) => new PgAdvisoryLocks({ url, ...o }),
    pacing: sharedPacing(sql),
    backup: () =>
      Promise.reject(
        new Error('omnigate backup copies a SQLite file; back PostgreSQL up with pg_dump'),
      ),
    // PostgreSQL checks its pages itself (checksums, WAL); a query proves the server answers.
    integrityCheck: async () => {
      await sql.one('SELECT 1')
      return 'ok'
    },
    probeWrites: async (now) => {
      await sql.run(KV_SET, ['omnigate', 'write-probe', now])
      return { walTruncated: true }
    },
    // What was asked before close still commits (a pending accept gets its answer); then the
    // pool ends and every later call rejects.
    close: async () => {
      if (!(await work.close())) return
      await db.destroy()
    },
  }
}

/** Calls in progress, so close() can let them finish and refuse new ones. */
class InFlight {
  private readonly running = new Set<Promise<unknown>>()
  private closed = false

  track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the store is closed'))
    const p = fn()
    this.running.add(p)
    void p.then(
      () => this.running.delete(p),
      () => this.running.delete(p),
    )
    return p
  }

  guard(sql: Sql): Sql {
    return {
      rows: (text, params) => this.track(() => sql.rows(text, params)),
      one: (text, params) => this.track(() => sql.one(text, params)),
      run: (text, params) => this.track(() => sql.run(text, params)),
      later: (text, params) => this.track(() => sql.later(text, params)),
      many: (statements) => this.track(() => sql.many(statements)),
      manyAndCommit: (statements) => this.track(() => sql.manyAndCommit(statements)),
    }
  }

  /** Refuses new calls and waits for the running ones; false when it was closed already. */
  async close(): Promise<boolean> {
    if (this.closed) return false
    this.closed = true
    await Promise.allSettled([...this.running])
    return true
  }
}
