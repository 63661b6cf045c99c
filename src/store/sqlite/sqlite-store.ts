/**
 * Assembles the SQLite Store: the core's writes over the SQLite transaction port, the dialect's
 * reads, leases and search, on one connection and one statement cache.
 *
 * Concurrency: the contract is async, but no transaction here ever spans an await. Each write
 * runs its core program with `runSync` inside one synchronous better-sqlite3 transaction, begun
 * and committed before the method returns its promise; a read is one synchronous statement. So
 * no other request's code can run while a transaction is open — it cannot see uncommitted rows
 * or start a transaction inside another — and `transaction()` refuses to nest to keep it so.
 * Accept keeps its group commit: plans of the same event-loop turn share one transaction (each
 * in its own savepoint) and one fsync, committed in one synchronous block (group-commit.ts).
 * Transactions commit without an fsync on the event loop and settle once the WAL is synced on
 * the thread pool (wal-sync.ts): a settled write is on disk, as with synchronous=FULL. While
 * writes are busy, the WAL is checkpointed off the event loop too (checkpointer.ts).
 */
import type { Logger } from 'pino'
import { acceptPlan } from '../core/accept.js'
import { applyChunk } from '../core/bulk.js'
import { inSavepoint, runSync, type Program } from '../core/program.js'
import { coreWrites } from '../core/writes.js'
import type { Store } from '../types.js'
import { AttachmentRepo } from './attachment-repo.js'
import { BlobStore } from './blob-store.js'
import { bulkFacts } from './bulk-facts.js'
import { BulkRows } from './bulk-rows.js'
import { Checkpointer } from './checkpointer.js'
import { ConsentRows } from './consent-rows.js'
import { AutomationRows } from './automation-rows.js'
import { ContactRepo } from './contact-repo.js'
import { ContactWriter } from './contact-writer.js'
import { EventQueue } from './event-queue.js'
import { Executor } from './executor.js'
import { GroupCommit } from './group-commit.js'
import { IdempotencyRepo } from './idempotency-repo.js'
import { IdentityRepo } from './identity-repo.js'
import { KvRepo } from './kv-repo.js'
import { MessageRepo } from './message-repo.js'
import { MessageWriter } from './message-writer.js'
import { OutboxRepo } from './outbox-repo.js'
import { OutboxRows } from './outbox-rows.js'
import { SearchIndex } from './search-index.js'
import type { SqliteDatabase } from './sqlite-database.js'
import { ThreadRepo } from './thread-repo.js'
import { ThreadRows } from './thread-rows.js'
import { mergedIds } from './merge-rows.js'
import { sqliteTxPort } from './tx-port.js'
import { WebchatRepo } from './webchat-repo.js'
import { WalSync, withoutFsync } from './wal-sync.js'
import { WebhookRepo } from './webhook-repo.js'

export function createSqliteStore(
  db: SqliteDatabase,
  opts: { blobsDir: string; log?: Logger },
): Store {
  const x = new Executor(db)
  const index = new SearchIndex(x)
  const identities = new IdentityRepo(x)
  const bulks = new BulkRows(x)
  const consent = new ConsentRows(x)
  const automations = new AutomationRows(x)
  const attachments = new AttachmentRepo(x)
  const messages = new MessageRepo(x, attachments)
  const port = sqliteTxPort({
    x,
    messageReads: messages,
    index,
    contacts: new ContactWriter(x, index),
    identities,
    threads: new ThreadRows(x),
    messages: new MessageWriter(x),
    outbox: new OutboxRows(x),
    events: new EventQueue(x),
    bulks,
    consent,
    automations,
  })

  /** One transaction, begun and committed in this call; never inside another. */
  const transaction = <T>(fn: () => T): T => {
    if (db.inTransaction) throw new Error('a store transaction is already open: writes never nest')
    return x.tx(fn)
  }
  const wal = new WalSync(x)
  const checkpoints = new Checkpointer(db, opts.log)
  /**
   * A write transaction that settles once it is on stable storage, with the fsync off the event
   * loop (wal-sync.ts): committed with synchronous=NORMAL, then the WAL synced on the thread pool.
   */
  const committed = <T>(fn: () => T): Promise<T> =>
    promised(() => wal.relax(() => transaction(fn))).then(async (v) => {
      checkpoints.note()
      await wal.sync()
      return v
    })
  const run = <T>(program: Program<T>): Promise<T> => committed(() => runSync(port, program))
  const core = coreWrites(run)
  const group = new GroupCommit(
    x,
    (plan) => runSync(port, inSavepoint(acceptPlan(plan))),
    index,
    wal,
    opts.log,
  )
  const contacts = new ContactRepo(x)
  const threads = new ThreadRepo(x)
  const outbox = new OutboxRepo(x, messages)
  const webhooks = new WebhookRepo(x)
  const kv = new KvRepo(x)
  const webchat = new WebchatRepo(x, messages)
  const idempotency = new IdempotencyRepo(x)
  const blobs = new BlobStore(opts.blobsDir)
  let closing: Promise<void> | undefined
  const referenced = (sha256: string): boolean =>
    x.stmt('SELECT 1 FROM attachments WHERE sha256 = ? LIMIT 1').get(sha256) !== undefined

  return {
    contacts: {
      ...core.contacts,
      get: (id) => promised(() => contacts.get(id)),
      recipient: (id, key) =>
        promised(() => {
          const stored = key ? idempotency.get(key.keyId, key.key) : null
          const contact = contacts.get(id)
          if (!contact) return { contact, stored, identities: [], activeThreads: [], optedOut: [] }
          return {
            contact,
            stored,
            identities: identities.listByContact(id),
            activeThreads: threads.listActiveByContact(id),
            optedOut: consent
              .state(id)
              .filter((c) => c.status === 'opted_out')
              .map((c) => c.channel),
          }
        }),
      findByExternalId: (externalId) => promised(() => contacts.findByExternalId(externalId)),
      search: (s) => promised(() => contacts.search(s)),
      searchIds: (s, max) => promised(() => contacts.searchIds(s, max)),
      mergedInto: (id) => promised(() => mergedIds(x, id)),
      // Blob files go once the rows are gone for good; one a send took up meanwhile stays.
      erase: async (id, at, by) => {
        const erased = await core.erase(id, at, by)
        if (!erased) return false
        for (const sha256 of erased.blobs) if (!referenced(sha256)) await blobs.remove(sha256)
        return true
      },
    },
    identities: {
      ...core.identities,
      listByContact: (contactId) => promised(() => identities.listByContact(contactId)),
      listByContacts: (contactIds) => promised(() => identities.listByContacts(contactIds)),
      find: (channel, address) => promised(() => identities.find(channel, address)),
    },
    threads: {
      ...core.threads,
      get: (id) => promised(() => threads.get(id)),
      listActiveByContact: (contactId) => promised(() => threads.listActiveByContact(contactId)),
      list: (f) => promised(() => threads.list(f)),
      events: (threadId) => promised(() => threads.events(threadId)),
    },
    messages: {
      ...core.messages,
      get: (id) => promised(() => messages.get(id)),
      listByThread: (threadId, limit, cursor) =>
        promised(() => messages.listByThread(threadId, limit, cursor)),
      timeline: (contactId, limit, cursor) =>
        promised(() => messages.timeline(contactId, limit, cursor)),
      findByPlatformId: (channel, pmid) => promised(() => messages.findByPlatformId(channel, pmid)),
      emailIds: (threadId) => promised(() => messages.emailIds(threadId)),
      countUnrepliedSince: (channel, since) =>
        promised(() => messages.countUnrepliedSince(channel, since)),
      listAwaitingAck: (channel, sentBefore, limit) =>
        promised(() => messages.listAwaitingAck(channel, sentBefore, limit)),
    },
    accept: (plan) => {
      checkpoints.note()
      return group.submit(plan)
    },
    idempotency: { get: (keyId, key) => promised(() => idempotency.get(keyId, key)) },
    inbound: core.inbound,
    bulk: {
      ...core.bulk,
      // Search rows deferred to the end of the chunk (search-index.ts), and no fsync of its own.
      applyChunk: (c) =>
        promised(() => {
          checkpoints.note(c.plans.length)
          return withoutFsync(x, () =>
            transaction(() => index.batch(() => runSync(port, applyChunk(c)))),
          )
        }),
      get: (id) => promised(() => bulks.get(id)),
      listUnfinished: () => promised(() => bulks.listUnfinished()),
      facts: (ids, channel) => promised(() => bulkFacts(x, ids, channel)),
      counts: (id) => promised(() => bulks.counts(id)),
    },
    outbox: {
      ...core.outbox,
      lease: (nowMs, limit, leaseMs, skip) =>
        committed(() => outbox.lease(nowMs, limit, leaseMs, skip)),
      depth: () => promised(() => outbox.depth()),
      nextDue: (skip) => promised(() => outbox.nextDue(skip)),
    },
    webhooks: {
      lease: (nowMs, limit, leaseMs) => promised(() => webhooks.lease(nowMs, limit, leaseMs)),
      record: (outcomes) => committed(() => webhooks.record(outcomes)),
      depth: () => promised(() => webhooks.depth()),
      deadLetters: (limit, cursor) => promised(() => webhooks.deadLetters(limit, cursor)),
      replay: (id, nowMs) => committed(() => webhooks.replay(id, nowMs)),
    },
    kv: {
      get: (scope, key) => promised(() => kv.get(scope, key)),
      set: (scope, key, value) => promised(() => kv.set(scope, key, value)),
    },
    attachments: { get: (id) => promised(() => attachments.get(id)) },
    webchat: {
      history: (contactId, channel, before, limit) =>
        promised(() => webchat.history(contactId, channel, before, limit)),
      since: (contactId, channel, after, limit) =>
        promised(() => webchat.since(contactId, channel, after, limit)),
      undelivered: (contactId, channel, limit) =>
        promised(() => webchat.undelivered(contactId, channel, limit)),
      schedule: (timers) => committed(() => webchat.schedule(timers)),
      due: (now, limit) => promised(() => webchat.due(now, limit)),
      done: (timer, record) => committed(() => webchat.done(timer, record)),
      cancel: (messageId) => promised(() => webchat.cancel(messageId)),
      fallbacks: (messageId) => promised(() => webchat.fallbacks(messageId)),
    },
    consent: {
      ...core.consent,
      state: (contactId) => promised(() => consent.state(contactId)),
      history: (contactId) => promised(() => consent.history(contactId)),
      optedOut: (ids, channel) => promised(() => consent.optedOut(ids, channel)),
    },
    automations: {
      ...core.automations,
      silentThreads: (q) => promised(() => automations.silent(q)),
      inboundCount: (contactId, max) => promised(() => automations.inboundCount(contactId, max)),
    },
    blobs,
    async backup(file: string): Promise<void> {
      group.flush()
      await db.backup(file)
    },
    integrityCheck: () =>
      promised(() => {
        const rows = db.pragma('integrity_check') as { integrity_check: string }[]
        return rows.map((r) => r.integrity_check).join('\n')
      }),
    close: () => (closing ??= close()),
  }

  async function close(): Promise<void> {
    if (!db.open) return wal.close()
    group.close()
    // Both connections closed: the last to close checkpoints the WAL into the file and removes it.
    await checkpoints.close()
    db.close()
    await wal.close()
  }
}

/** The synchronous call's result as a promise; its throw as a rejection (never a sync throw). */
function promised<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => resolve(fn()))
}
