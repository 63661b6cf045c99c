/**
 * The transaction port (DESIGN §10): the row operations the dialect-neutral core (`store/core/`)
 * needs inside one transaction. Each dialect implements it over its own SQL — `store/sqlite/`
 * synchronously (`TxPort`, better-sqlite3), `store/postgres/` asynchronously (`AsyncTxPort`, pg) —
 * and owns everything else (migrations, search, leasing, read queries).
 *
 * Contract for every implementation:
 * - An operation runs inside the transaction the dialect opened for the core's program; it never
 *   commits, never opens a transaction of its own and never awaits anything but its own statement.
 * - Uniqueness is the database's: an insert that hits a unique constraint throws the typed
 *   `StoreConflict` named at the operation (never check-then-insert alone); anything else
 *   propagates as thrown (store faults are classified by `store-fault.ts`).
 * - The core catches an operation's throw only across a savepoint (`inSavepoint`) or lets it end
 *   the transaction: after a failed statement (PostgreSQL aborts the transaction on one) it issues
 *   nothing but `rollbackSavepoint`. A plan of a batch is always run in its own savepoint.
 * - Forward-only message status is decided by the core (`core/message-status.ts`): the SQL of the
 *   outcome operations takes its `WHERE status IN (…)` lists from `movableFrom()`.
 * - Times are ISO-8601 strings, queue times (`dueAt`, `nowMs`) epoch ms, as in `types.ts`.
 *
 * The core's programs are generators that yield these operations as data (`core/program.ts`):
 * SQLite runs one to completion in a single synchronous block (no await, so nothing else can run
 * inside its transaction), PostgreSQL awaits each operation on its transaction's client.
 */
import type {
  AuthorKind,
  BulkCounts,
  BulkRecord,
  BulkStatus,
  ConsentSource,
  ConsentStatus,
  ContactPatch,
  ContactRecord,
  IdentityRecord,
  MessageError,
  MessageRecord,
  MessageStatus,
  NewBulk,
  NewContact,
  NewEvent,
  StoredIdempotency,
  ThreadEventType,
  ThreadStatus,
} from '../types.js'

/** A thread row as the core reads and writes it (tags apart: `threadTags`). */
export interface ThreadState {
  id: string
  contact_id: string
  channel: string
  status: ThreadStatus
  assignee: string | null
  snoozed_until: string | null
  created_at: string
  updated_at: string
  closed_at: string | null
}

/** A new open thread (its tags and `opened` event are written by the core). */
export interface ThreadInsert {
  id: string
  contact_id: string
  channel: string
  assignee: string | null
}

/** One row of a thread's history; `id` is `te_…` (made by the core). */
export interface ThreadEventInsert {
  id: string
  thread_id: string
  contact_id: string
  type: ThreadEventType
  actor: string
  data: Record<string, unknown>
  at: string
}

/** A message row as accept and inbound write it. */
export interface MessageInsert {
  id: string
  thread_id: string
  contact_id: string
  channel: string
  direction: 'in' | 'out'
  author: { kind: AuthorKind; id: string | null }
  address: string
  text: string | null
  template: MessageRecord['template']
  email: MessageRecord['email']
  status: MessageStatus
  platform_message_id: string | null
  bulk_id: string | null
  created_at: string
  /** A held message: when it goes out (migration 9); absent or null: at once. */
  send_at?: string | null
  /** Status times known at insert. */
  queued_at?: string
  sent_at?: string
  delivered_at?: string
}

export interface AttachmentInsert {
  id: string
  sha256: string
  filename: string
  content_type: string
  size: number
}

/** An outbox job; `priority` orders leasing (a bulk never holds up a due single send). */
export interface OutboxInsert {
  messageId: string
  channel: string
  recipientKey: string
  dueAt: number
  priority: 'single' | 'bulk'
}

export interface IdempotencyInsert {
  keyId: string
  key: string
  bodyHash: string
  status: number
  response: string
  at: string
}

/** An automation firing row (migration 11). */
export interface AutomationFiringInsert {
  automation: string
  trigger_key: string
  contact_id: string
  thread_id: string | null
  fired_at: string
}

/** A consent change: the contact's state on the channel is replaced, the history gets the row. */
export interface ConsentInsert {
  /** `cs_…`: the history row. */
  id: string
  contact_id: string
  channel: string
  status: ConsentStatus
  at: string
  source: ConsentSource
}

/** The bulk's progress as one chunk leaves it. */
export interface BulkProgress {
  checked: number
  eligible: number
  skipped: Record<string, number>
  next_due_at: number
  now: string
}

/** What an erasure leaves to do after its commit: the blobs its attachments pointed at. */
export interface ErasedContact {
  blobs: string[]
}

/**
 * The row operations, in their synchronous shape (SQLite). `AsyncTxPort` is the same set with
 * each result in a Promise (PostgreSQL).
 */
export interface TxPort {
  // ── Contacts ──────────────────────────────────────────────────────────────────────────────
  /**
   * Takes the contact's write lock for the rest of the transaction (PostgreSQL: `SELECT … FOR
   * UPDATE`; SQLite: nothing to take, the one writer is exclusive) and reads its `version`, the
   * optimistic guard of accept. Null when the contact does not exist.
   */
  lockContact(id: string): { version: number; merged_into: string | null } | null
  /** version + 1: a write that may change which thread a send to this contact lands in. */
  bumpContactVersion(id: string): void
  getContact(id: string): ContactRecord | null
  /** Inserts a contact (search text included); StoreConflict('external_id_taken') on a taken one. */
  insertContact(c: NewContact, now: string): void
  /** Applies the fields present; false when no such contact; StoreConflict('external_id_taken'). */
  updateContact(id: string, patch: ContactPatch, now: string): boolean
  /** Activity (a message in or out): the contact moves to the top of "newest activity first". */
  touchContact(id: string, now: string): void
  /**
   * Erasure (DESIGN §15): deletes every row about the contact (messages and their attachment
   * rows and jobs, threads and events, identities, stored answers and app events naming it), adds
   * its messages to the anonymous counts and writes the `erasures` tombstone (`by`: a key id).
   */
  eraseContactRows(id: string, at: string, by: string): ErasedContact
  /**
   * Merge (DESIGN §15): moves the identities, threads, thread events, messages and consent rows
   * of `from` to `into` (consent on a channel both have: `opted_out` wins, else the target's
   * row), sets `from.merged_into` (and of the contacts merged into `from` before) and drops its
   * own search text. A message of a bulk that `into` also got stays on `from` (one per bulk).
   */
  mergeContactRows(from: string, into: string): void
  /** Rewrites the contact's search text from its fields and those of the contacts merged into it. */
  reindexContact(id: string): void
  /** The ids of the contacts merged into this one. */
  mergedIds(id: string): string[]

  // ── Identities ────────────────────────────────────────────────────────────────────────────
  findIdentity(channel: string, address: string): IdentityRecord | null
  /** Reachable identity; StoreConflict('identity_taken', {channel, address, contact_id}) if taken. */
  insertIdentity(
    i: { id: string; channel: string; address: string },
    contactId: string,
    now: string,
  ): void
  /** First/last inbound time (last never moves back) and reachable again. */
  markInbound(identityId: string, at: string): void
  /** False when no identity has that address. */
  setReachable(channel: string, address: string, reachable: boolean): boolean

  // ── Threads ───────────────────────────────────────────────────────────────────────────────
  loadThread(id: string): ThreadState | null
  /** Open or snoozed threads of a contact (on one channel if given), newest first. */
  activeThreads(contactId: string, channel?: string): ThreadState[]
  /** Snoozed threads with `snoozed_until` <= now. */
  dueSnoozed(now: string): ThreadState[]
  /** The thread of the contact's newest message on the channel whose platform or email id is one of `ids`. */
  replyThreadId(contactId: string, channel: string, ids: readonly string[]): string | null
  insertThread(t: ThreadInsert, now: string): void
  /** Writes status, assignee, snoozed_until, closed_at and updated_at as given. */
  saveThread(t: ThreadState): void
  /** Activity in the thread: updated_at. */
  touchThread(id: string, now: string): void
  /** Sorted. */
  threadTags(id: string): string[]
  addThreadTags(id: string, tags: readonly string[]): void
  removeThreadTags(id: string, tags: readonly string[]): void
  insertThreadEvent(e: ThreadEventInsert): void

  // ── Messages ──────────────────────────────────────────────────────────────────────────────
  /** The inbound message with this platform id on the channel (dedupe). */
  findInbound(
    channel: string,
    platformMessageId: string,
  ): { id: string; contact_id: string; thread_id: string } | null
  insertMessage(m: MessageInsert): void
  insertAttachments(messageId: string, list: readonly AttachmentInsert[], now: string): void
  messageStatus(id: string): MessageStatus | null
  /** The whole message as this transaction sees it (what a write answers with). */
  getMessage(id: string): MessageRecord | null
  /**
   * Sets the status and its time column (the core decided the move is forward); the error is
   * replaced only when one is given, the platform id only when one is given.
   */
  setMessageStatus(
    id: string,
    status: MessageStatus,
    at: string,
    extra: { error?: MessageError; platformMessageId?: string },
  ): void
  /** Sets `undelivered_after` while the message is still `sent` and unflagged; whether it did. */
  flagUndelivered(id: string, at: string): boolean
  /**
   * Operator retry: a `failed` message → `queued` at `at` under the same id (attempts, error,
   * later status times and the duplicate/undelivered flags cleared); `earlier` (the status
   * history so far) is kept for its history. False when the message is not `failed`.
   */
  requeueMessage(id: string, at: string, earlier: MessageRecord['status_history']): boolean

  // ── Outbox (hot path: one statement each; status lists from core/message-status.ts) ───────
  insertOutbox(j: OutboxInsert): void
  /** Job deleted; message → sent where movableFrom('sent') allows (never backwards), attempt counted. */
  completeJob(c: {
    jobId: number
    messageId: string
    at: string
    platformMessageId: string | null
    possibleDuplicate: boolean
  }): void
  /** `completeJob` for each (in one or two statements where the dialect can: the dispatcher's tick). */
  completeJobs(
    list: readonly {
      jobId: number
      messageId: string
      at: string
      platformMessageId: string | null
      possibleDuplicate: boolean
    }[],
  ): void
  /** Job deleted; message → failed where movableFrom('failed') allows, attempt counted. */
  failJob(c: { jobId: number; messageId: string; at: string; error: MessageError }): void
  /** Job due again at `dueAtMs`, lease released; the message keeps its status, counts the attempt. */
  retryJob(c: {
    jobId: number
    messageId: string
    dueAtMs: number
    error: MessageError
    possibleDuplicate: boolean
  }): void
  /** Job deleted; message → cancelled where movableFrom('cancelled') allows. */
  cancelLeasedJob(jobId: number, messageId: string, at: string): void
  /** Lease released, due at `dueAtMs`, no attempt counted. */
  releaseJob(jobId: number, dueAtMs: number): void
  /** Deletes the message's job unless under a live lease at `nowMs`; whether it did. */
  cancelQueuedJob(messageId: string, nowMs: number): boolean
  /** Message → cancelled where movableFrom('cancelled') allows. */
  cancelMessage(messageId: string, at: string): void

  // ── Idempotency and app events ────────────────────────────────────────────────────────────
  /**
   * Accept's first reads, in this order and at once (one round trip on PostgreSQL): the
   * idempotency record (`getIdempotency`), the contact's lock (`lockContact`), then the thread
   * the plan names (`loadThread`, read once the lock is held). Each is null when not asked for.
   */
  openAccept(q: AcceptReads): AcceptOpening
  /**
   * `openAccept` for a group of plans sharing one transaction (no two name the same contact or
   * key), at once: every key's lock first, then every contact's lock in code-unit order of the
   * ids — the same order in every group and daemon — then the threads. Openings in `qs`' order.
   */
  openAccepts(qs: readonly AcceptReads[]): AcceptOpening[]
  getIdempotency(keyId: string, key: string): StoredIdempotency | null
  /**
   * False when the key is stored already (a concurrent send with it committed first). PostgreSQL
   * answers true: under the key's lock (`openAccept`) nobody can have stored it.
   */
  putIdempotency(r: IdempotencyInsert): boolean
  /** One webhook_outbox row per (event, target) with the body to sign. */
  enqueueEvents(events: readonly NewEvent[]): void

  // ── Automations ─────────────────────────────────────────────────────────────────────────
  /** The latest `fired_at` of the automation for the contact, refusals (skipped) not counted. */
  lastAutomationFiring(automation: string, contactId: string): string | null
  /** Inserts the firing; false when (automation, trigger_key) is there already. */
  insertAutomationFiring(f: AutomationFiringInsert): boolean
  /** Sets the firing's `skipped_code`. */
  skipAutomationFiring(automation: string, triggerKey: string, code: string): void

  // ── Consent ───────────────────────────────────────────────────────────────────────────────
  /** The contact's state on the channel; null when it was never set (opted in by default). */
  consentStatus(contactId: string, channel: string): ConsentStatus | null
  /** Replaces the state of (contact, channel) and appends the history row. */
  saveConsent(c: ConsentInsert): void
  /** The contact's open or snoozed thread on the channel, else its newest one there, else null. */
  latestThreadId(contactId: string, channel: string): string | null
  /** The contact's newest thread on any channel, else null. */
  newestThreadId(contactId: string): string | null

  // ── Bulk ──────────────────────────────────────────────────────────────────────────────────
  getBulk(id: string): BulkRecord | null
  /**
   * `getBulk`, its row locked until the transaction ends (PostgreSQL `FOR UPDATE`): a chunk and a
   * cancel of one bulk on two daemons (or two connections) go one after the other.
   */
  lockBulk(id: string): BulkRecord | null
  /** The job row (status running); the recipients go in pages (`insertRecipientPage`). */
  insertBulk(b: Omit<NewBulk, 'contactIds'> & { total: number }, now: string): void
  insertRecipientPage(bulkId: string, page: number, contactIds: readonly string[]): void
  /** The page's ids; null when there is no such page; CorruptRecord when it cannot be read. */
  recipientPage(bulkId: string, page: number): string[] | null
  deleteRecipientPages(bulkId: string): void
  bulkHasMessageFor(bulkId: string, contactId: string): boolean
  saveBulkProgress(bulkId: string, p: BulkProgress): void
  bulkCounts(bulkId: string): BulkCounts
  /** Any message of the bulk still queued or sending. */
  bulkHasPending(bulkId: string): boolean
  finishBulk(bulkId: string, status: BulkStatus, now: string): void
  /** running → cancelled; false when not running. */
  cancelBulk(bulkId: string, now: string): boolean
  /** Unfinished → failed with the error; false when unknown or finished. */
  failBulk(bulkId: string, error: MessageError, now: string): boolean
  /** Up to `limit` queued/sending messages of the bulk whose job is not under a live lease. */
  cancellableJobs(
    bulkId: string,
    nowMs: number,
    limit: number,
  ): { jobId: number; messageId: string }[]

  // ── Nesting ───────────────────────────────────────────────────────────────────────────────
  /** Opens a savepoint inside the transaction (they nest, last opened first closed). */
  savepoint(): void
  /** Keeps the innermost savepoint's writes. */
  releaseSavepoint(): void
  /** Undoes the innermost savepoint's writes and closes it. */
  rollbackSavepoint(): void
}

/** The port with every result in a Promise: what the PostgreSQL dialect implements. */
/** What `openAccept` reads: each null when the plan has none. */
export interface AcceptReads {
  idempotency: { keyId: string; key: string } | null
  /** An existing contact, to lock. */
  contact: string | null
  /** The thread the plan reuses or reopens. */
  thread: string | null
}

export interface AcceptOpening {
  stored: StoredIdempotency | null
  lock: { version: number; merged_into: string | null } | null
  thread: ThreadState | null
}

export type AsyncTxPort = {
  [K in keyof TxPort]: (...args: Parameters<TxPort[K]>) => Promise<ReturnType<TxPort[K]>>
}

/** One yielded step of a core program: an operation of the port and its arguments. */
export type TxOp = { [K in keyof TxPort]: { op: K; args: Parameters<TxPort[K]> } }[keyof TxPort]
