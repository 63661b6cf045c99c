/**
 * Records and repository interfaces of the store (DESIGN §3, §10): the async contract the gateway
 * depends on, whichever dialect runs (`store/sqlite/`, `store/postgres/`, chosen by `openStore()`).
 * Every method returns a Promise, and no caller's code ever runs inside a store transaction: what
 * a write needs (plans, outcomes, events) goes in as data. Times are ISO-8601 UTC strings; ids are
 * prefixed ULIDs (`ct_`, `id_`, `th_`, `msg_`, `att_`, `ev_`, `bk_`).
 */

export type ThreadStatus = 'open' | 'snoozed' | 'closed'
export type MessageStatus =
  'queued' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed' | 'cancelled'
export type AuthorKind = 'agent' | 'app' | 'automation' | 'contact'

export interface ContactRecord {
  id: string
  first_name: string | null
  last_name: string | null
  email: string | null
  phone: string | null
  external_id: string | null
  attributes: Record<string, unknown>
  blocked: boolean
  /** Migration 9: the contact's IANA time zone (send windows with `timezone: contact`). */
  timezone?: string | null
  /**
   * Migration 10: the contact this one was merged into (DESIGN §15), null for a live contact.
   * Chains are flattened at each merge, so it names the survivor.
   */
  merged_into?: string | null
  created_at: string
  updated_at: string
  last_activity_at: string
  /**
   * Bumped by every write that may change where a send to this contact lands (an accepted send,
   * a thread created or reopened): a send plan carries the version its facts were read at, and a
   * plan read before another one committed comes back `stale` (AcceptPlan.contact).
   */
  version: number
}

export interface IdentityRecord {
  id: string
  contact_id: string
  channel: string
  address: string
  first_inbound_at: string | null
  last_inbound_at: string | null
  reachable: boolean
  created_at: string
}

export interface ThreadRecord {
  id: string
  contact_id: string
  channel: string
  status: ThreadStatus
  assignee: string | null
  tags: string[]
  snoozed_until: string | null
  created_at: string
  updated_at: string
  closed_at: string | null
}

export type ThreadEventType =
  | 'opened'
  | 'reopened'
  | 'assigned'
  | 'unassigned'
  | 'tagged'
  | 'snoozed'
  | 'woke'
  | 'closed'
  /** Consent changed on the thread's channel (DESIGN §15): `data` holds the source. */
  | 'opted_out'
  | 'opted_in'
  /** An operator sent a failed message of the thread again (`data.message_id`). */
  | 'retried'
  /** Closed by a contact merge: another active thread on its channel was kept (`data.kept_thread_id`). */
  | 'merged'
  /** Contacts were merged into this thread's contact (`data.from`: their ids). */
  | 'contact_merged'

export interface ThreadEventRecord {
  id: string
  thread_id: string
  contact_id: string
  type: ThreadEventType
  /** Who did it: a key id, `system` for the scheduler, `contact` for inbound. */
  actor: string
  data: Record<string, unknown>
  at: string
}

export interface AttachmentRecord {
  id: string
  message_id: string | null
  sha256: string
  filename: string
  content_type: string
  size: number
  created_at: string
}

export interface MessageError {
  code: string
  message: string
}

export interface MessageRecord {
  id: string
  thread_id: string
  contact_id: string
  channel: string
  direction: 'in' | 'out'
  author: { kind: AuthorKind; id: string | null }
  /** The address it went to (out) or came from (in). */
  address: string
  text: string | null
  template: { name: string; variables: Record<string, string> } | null
  attachments: AttachmentRecord[]
  email: {
    from: string
    subject: string | null
    bcc: string[]
    message_id?: string | null
    in_reply_to?: string | null
    references?: string[]
  } | null
  status: MessageStatus
  error: MessageError | null
  platform_message_id: string | null
  bulk_id: string | null
  attempts: number
  /** Set when a retry followed an outcome-unknown failure on a platform with no idempotency key. */
  possible_duplicate: boolean
  /** When the ack watchdog flagged it: `sent`, but no delivery ack in time (null: never flagged). */
  undelivered_after: string | null
  /**
   * A held message (DESIGN §14): when it goes out — the caller's `send_at`, or a send window's
   * next opening. The dispatcher checks the rules again when it leases its job. Null: at once.
   */
  send_at?: string | null
  created_at: string
  /** One entry per status reached, in order. */
  status_history: { status: MessageStatus; at: string }[]
  /**
   * JSON columns of the stored row that could not be read (`template`, `email`): they read as null
   * here. Absent on a sound row. The dispatcher fails such a message with `corrupt_record`.
   */
  unreadable?: string[]
}

export interface NewContact {
  id: string
  first_name?: string | null
  last_name?: string | null
  email?: string | null
  phone?: string | null
  external_id?: string | null
  attributes?: Record<string, unknown>
  blocked?: boolean
  timezone?: string | null
}

export interface ContactPatch {
  first_name?: string | null
  last_name?: string | null
  email?: string | null
  phone?: string | null
  external_id?: string | null
  attributes?: Record<string, unknown>
  blocked?: boolean
  timezone?: string | null
}

export interface ContactSearch {
  /** Prefix over first name, last name, email, phone (case-, accent- and format-insensitive). */
  q?: string
  thread_status?: ThreadStatus
  /** `unassigned` or an agent id (the API resolves `me`). */
  assignee?: string
  tag?: string
  channel?: string
  limit: number
  /** Opaque cursor from the previous page. */
  cursor?: string
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/** Everything one accepted send writes, applied in one transaction with other sends (group commit). */
export interface AcceptPlan {
  now: string
  /**
   * `version`: the contact's version the plan was decided on; when another write moved it since,
   * nothing is written and the outcome is `stale` (the caller reads the facts again and decides
   * again). Without it the plan is applied as it stands (bulk: a conflict counts as skipped). A
   * `create` whose identity is taken meanwhile is `stale` too.
   */
  contact: { existing: string; version?: number } | { create: NewContact }
  identity: { existing: string } | { create: { id: string; channel: string; address: string } }
  thread:
    | { reuse: string; assign: string | null; addTags: string[]; actor: string }
    | { reopen: string; assign: string | null; addTags: string[]; actor: string }
    | {
        create: { id: string; channel: string; assignee: string | null; tags: string[] }
        /** Re-checked inside the transaction: another open/snoozed thread of the contact → conflict. */
        singleOpen: boolean
        actor: string
      }
  message: {
    id: string
    channel: string
    author: { kind: AuthorKind; id: string | null }
    address: string
    text: string | null
    template: { name: string; variables: Record<string, string> } | null
    email: { from: string; subject: string | null; bcc: string[] } | null
    bulk_id?: string | null
    /** A held message: when it goes out (its outbox job is due then). Absent: at once. */
    send_at?: string | null
  }
  /** Blobs are written (fsync'd) before the plan is submitted; these rows link them to the message. */
  attachments: {
    id: string
    sha256: string
    filename: string
    content_type: string
    size: number
  }[]
  outbox: { dueAt: number; recipientKey: string }
  /** Stored with the message so a replay of the same key answers the same. */
  idempotency?: { keyId: string; key: string; bodyHash: string; status: number; response: string }
  /** App-webhook events (thread.opened …) queued in the same transaction when the plan applies. */
  events?: NewEvent[]
}

export type AcceptOutcome =
  | { ok: true; messageId: string; threadId: string; contactId: string }
  | { ok: false; code: 'thread_conflict'; thread: { id: string; assignee: string | null } }
  | { ok: false; code: 'idempotency_replay'; status: number; response: string; bodyHash: string }
  /** The facts the plan was decided on changed before it applied: nothing was written. */
  | { ok: false; code: 'stale' }

export interface OutboxJob {
  jobId: number
  messageId: string
  channel: string
  recipientKey: string
  attempts: number
  dueAt: number
  /** The bulk the message belongs to (null for a single send): a cancelled bulk's job is not sent. */
  bulkId: string | null
  /**
   * The job's message as the lease read it, where the store reads it with the lease (both stores
   * do: one read for the batch instead of one a job); null when it is gone. Absent: read it by id.
   */
  message?: MessageRecord | null
  /** The name of the message's contact, read with the lease where `message` is; null: none. */
  contact?: ContactName | null
}

/** What a send's payload names a contact by. */
export interface ContactName {
  first_name: string | null
  last_name: string | null
}

/** One limit a send counts against, for a slot shared by every daemon (`Store.pacing`). */
export interface SharedLimit {
  /** `c:<channel>` or `r:<channel>:<recipient>`. */
  key: string
  /** Ms between two slots of this key. */
  intervalMs: number
}

/** A send's shared slot: when it may go, by this process's clock (epoch ms). */
export interface SharedSlot {
  at: number
  /** False when `at` was further off than asked: nothing was reserved (wait in the store). */
  reserved: boolean
}

/**
 * Rate slots shared by every daemon on one database (DESIGN §10, "rate limits are shared"):
 * present where several daemons may share a store (PostgreSQL), absent where one daemon is the
 * whole truth (SQLite). `reserve` takes the latest next slot of the send's limits, no earlier
 * than `leadMs` from now (default 0) and if it is at most `holdMs` after that, and moves each limit
 * on by its interval, atomically among all daemons. Calls of one process are reserved in the order
 * they were made.
 */
export interface SharedPacing {
  reserve(limits: readonly SharedLimit[], holdMs: number, leadMs?: number): Promise<SharedSlot>
}

export interface StoredIdempotency {
  bodyHash: string
  status: number
  response: string
}

export interface WebhookDelivery {
  id: number
  eventId: string
  /** The webhook URL this delivery goes to. */
  target: string
  payload: string
  attempts: number
}

/** An app-webhook event to enqueue in the same transaction as the change it reports. */
export interface NewEvent {
  /** `ev_…`: receivers dedupe by it. */
  id: string
  type: string
  created_at: string
  data: Record<string, unknown>
  /** The URLs (from `webhooks:`) whose `events` include this type. */
  targets: string[]
}

/** Everything one inbound message writes, in one transaction (DESIGN §2 inbound flow). */
export interface InboundPlan {
  now: string
  channel: string
  platformMessageId: string
  address: string
  /** Used when no identity exists for (channel, address): fields for a new contact. */
  newContact: NewContact
  newIdentityId: string
  newThreadId: string
  newMessageId: string
  /** Email: earlier platform ids this message replies to; a match lands it in that thread (reopened). */
  replyTo: string[]
  text: string | null
  attachments: {
    id: string
    sha256: string
    filename: string
    content_type: string
    size: number
  }[]
  email: MessageRecord['email']
  sentAt: string
  /**
   * App events, queued in the same transaction when the message is stored (not on a duplicate).
   * The store fills `contact_id` and `thread_id` into each one's `data` (keys already there keep
   * their place); `threadOpened` is queued only when the message opened a new thread.
   */
  events: { threadOpened: NewEvent[]; received: NewEvent[] }
  /**
   * The message is an opt-out or resume keyword (DESIGN §15): the change is recorded in the same
   * transaction, on the message's contact and thread, as `Store.consent.record` would.
   */
  consent?: Omit<ConsentChange, 'contactId' | 'threadId' | 'now'>
}

export interface InboundOutcome {
  messageId: string
  contactId: string
  threadId: string
  created: boolean
  /** This message opened a new thread (its `thread.opened` event was queued). */
  threadCreated: boolean
  /** With `plan.consent` on a stored message: what became of the change. */
  consent?: ConsentOutcome
}

/**
 * What became of one leased outbox job, as the dispatcher hands it to `outbox.record()`:
 * - `sent`: message → sent (with the platform's id), job deleted, events queued;
 * - `failed`: message → failed with the error (for good), job deleted, events queued; with
 *   `unreachable` the identity is marked unreachable in the same transaction;
 * - `retry`: due again at `dueAtMs`, lease released, attempt counted on job and message;
 * - `cancelled`: its bulk was cancelled before it was sent: job deleted, message → cancelled;
 * - `released`: pushed back to `dueAtMs` without counting an attempt (rate limit, shutdown).
 * Status moves are forward-only (a status report may have moved the message past `sent`).
 */
export type OutboxOutcome =
  | {
      kind: 'sent'
      jobId: number
      messageId: string
      at: string
      platformMessageId: string | null
      possibleDuplicate: boolean
      events: NewEvent[]
    }
  | {
      kind: 'failed'
      jobId: number
      messageId: string
      at: string
      error: MessageError
      events: NewEvent[]
      unreachable?: { channel: string; address: string }
    }
  | {
      kind: 'retry'
      jobId: number
      messageId: string
      dueAtMs: number
      error: MessageError
      possibleDuplicate: boolean
    }
  | { kind: 'cancelled'; jobId: number; messageId: string; at: string }
  | { kind: 'released'; jobId: number; dueAtMs: number }

/** An operator retry of a failed message (`messages.retry()`), decided by the gateway. */
export interface MessageRetry {
  id: string
  threadId: string
  contactId: string
  channel: string
  /** The key id that asked (the thread event's actor). */
  actor: string
  now: string
  /** The message's status history so far, kept under the new try's. */
  earlierHistory: MessageRecord['status_history']
  recipientKey: string
  dueAtMs: number
  events: NewEvent[]
}

/** `status`: what the message was found in when it was not `failed` (null: no such message). */
/** `message`: the message as the retry's transaction left it (`queued`, attempts reset). */
export type RetryOutcome =
  { ok: true; message: MessageRecord } | { ok: false; status: MessageStatus | null }

/** What became of one leased app-webhook delivery (`webhooks.record()`). */
export type WebhookOutcome =
  | { kind: 'done'; id: number }
  | { kind: 'retry'; id: number; dueAtMs: number }
  /**
   * Given up: the delivery is kept as a dead letter (`webhooks.deadLetters()`) with the last
   * error and the time (`at`, ISO) it was given up, its attempts counting this one.
   */
  | { kind: 'failed'; id: number; at: string; error: string }

/** An app-webhook delivery that used up its retries, kept for listing and replay (DESIGN §15). */
export interface DeadLetter {
  /** The dead letter's own id (never reused: a replayed one is gone for good). */
  id: number
  eventId: string
  target: string
  payload: string
  attempts: number
  error: string | null
  failedAt: string
}

/** Outcomes that could not be recorded (a bug, never a store fault: that rejects the whole call). */
export interface RecordResult<O> {
  rejected: { outcome: O; error: unknown }[]
}

/** `failed`: its stored job could not be read (`corrupt_record`); nothing more is enqueued. */
export type BulkStatus = 'running' | 'done' | 'cancelled' | 'failed'

/**
 * A bulk send (DESIGN §3). Its recipients are a snapshot of contact ids taken at creation; the
 * runner checks them in order, and `checked` is how far it got (the resume cursor).
 */
export interface BulkRecord {
  id: string
  channel: string
  status: BulkStatus
  /** Who asked: each message of the bulk is authored like a single send of theirs. */
  author: { kind: AuthorKind; id: string | null }
  /** The request (filter, content, tags …) as the gateway stored it; opaque to the store. */
  spec: Record<string, unknown>
  total: number
  checked: number
  /** Recipients that got a message. */
  eligible: number
  /** Recipients left out, by refusal code. */
  skipped: Record<string, number>
  /** When the bulk's next message is scheduled (ms): a resumed bulk keeps its pace. */
  next_due_at: number
  created_at: string
  updated_at: string
  cancelled_at: string | null
  /** Done, or cancelled with nothing left in flight, or failed. */
  finished_at: string | null
  /** Why a `failed` bulk failed (null otherwise). */
  error?: MessageError | null
  /** JSON columns of the stored row that could not be read (`spec`, `skipped`); absent when sound. */
  unreadable?: string[]
}

export interface NewBulk {
  id: string
  channel: string
  author: { kind: AuthorKind; id: string | null }
  spec: Record<string, unknown>
  /** The recipients in order, without duplicates. */
  contactIds: string[]
  next_due_at: number
}

/** What the rules need about one recipient on the bulk's channel. */
/** An idempotency key of an API key (`idempotency.get`'s arguments). */
export interface IdempotencyKey {
  keyId: string
  key: string
}

/** `Store.contacts.recipient`: a contact and what a send to it is decided on. */
export interface RecipientRead {
  /** Null when there is no such contact (the lists are then empty). */
  contact: ContactRecord | null
  /** The answer stored under the idempotency key asked about; null when none (or not asked). */
  stored: StoredIdempotency | null
  /** Oldest first, as `identities.listByContact`. */
  identities: IdentityRecord[]
  /** Open and snoozed threads on any channel, newest first, as `threads.listActiveByContact`. */
  activeThreads: ThreadRecord[]
  /** Channels the contact opted out of (DESIGN §15), sorted. */
  optedOut: string[]
}

export interface BulkRecipientFacts {
  contact: ContactRecord
  /** Its identity on the channel, if any. */
  identity: IdentityRecord | null
  /** Its open or snoozed threads on any channel. */
  activeThreads: ThreadRecord[]
}

/** One chunk of a bulk: recipients [from, to) of the snapshot, evaluated by the gateway. */
export interface BulkChunk {
  bulkId: string
  from: number
  to: number
  /** The accepted sends, each with `message.bulk_id` set. */
  plans: AcceptPlan[]
  /** Recipients refused by the rules, by code. */
  skipped: Record<string, number>
  next_due_at: number
  now: string
}

export type BulkCounts = Record<MessageStatus, number>

/**
 * The store as the gateway sees it. Every method returns a Promise; each write is one transaction
 * (accept: group-committed with the sends of the same moment); a rejected write wrote nothing.
 */
export interface Store {
  readonly contacts: {
    /** Creates the contact and its identities; throws StoreConflict('identity_taken') on a taken (channel, address). */
    create(
      c: NewContact,
      identities: { id: string; channel: string; address: string }[],
      now: string,
    ): Promise<ContactRecord>
    get(id: string): Promise<ContactRecord | null>
    /**
     * What a send to the contact decides on, read together (one round trip on PostgreSQL): the
     * contact — merged ones too, `merged_into` set — its identities, its active threads, the
     * channels it opted out of, and with `idempotency` the answer stored under that key.
     */
    recipient(id: string, idempotency?: IdempotencyKey): Promise<RecipientRead>
    findByExternalId(externalId: string): Promise<ContactRecord | null>
    /** Throws StoreConflict('external_id_taken') when another contact has the external id. */
    update(id: string, patch: ContactPatch, now: string): Promise<ContactRecord | null>
    search(s: ContactSearch): Promise<Page<ContactRecord>>
    /** Rows for bulk: every id matching the filter (no limit), newest activity first. */
    searchIds(s: Omit<ContactSearch, 'limit' | 'cursor'>, max: number): Promise<string[]>
    /**
     * Erases the contact and everything about it in one transaction (DESIGN §15), leaving an
     * `erasures` tombstone (`by`: the key id) and anonymous message counts; blobs no longer
     * referenced are deleted. Resolves false when there is no such contact.
     */
    erase(id: string, at: string, by: string): Promise<boolean>
    /**
     * Merges contacts into one in a single transaction (DESIGN §15, `ContactMerge`): every
     * contact involved locked in id order and its version bumped; identities, threads, messages,
     * events and consent of each `from` moved to `into`; the target's fields win; the merged rows
     * stay with `merged_into` set. Nothing is written unless the outcome is `ok`.
     */
    merge(m: ContactMerge): Promise<MergeOutcome>
    /** The ids of the contacts merged into this one, sorted. */
    mergedInto(id: string): Promise<string[]>
  }
  readonly identities: {
    listByContact(contactId: string): Promise<IdentityRecord[]>
    /**
     * `listByContact` for several contacts in one read (a page of search results): each id's
     * identities, oldest first; an id with none (or unknown) is absent.
     */
    listByContacts(contactIds: readonly string[]): Promise<Map<string, IdentityRecord[]>>
    find(channel: string, address: string): Promise<IdentityRecord | null>
    /** Resolves false when no identity has that address. */
    setReachable(
      channel: string,
      address: string,
      reachable: boolean,
      now: string,
    ): Promise<boolean>
    /**
     * The person opted in on a channel where that counts as writing first (a push subscription):
     * creates the identity on `contactId`, or finds it by (channel, address); either way it is
     * reachable with first/last inbound time set. One transaction; resolves to the identity.
     */
    optIn(
      contactId: string,
      i: { id: string; channel: string; address: string },
      now: string,
    ): Promise<IdentityRecord>
  }
  readonly threads: {
    get(id: string): Promise<ThreadRecord | null>
    /** Open or snoozed threads of a contact, any channel, newest first. */
    listActiveByContact(contactId: string): Promise<ThreadRecord[]>
    list(f: {
      status?: ThreadStatus
      assignee?: string
      contact_id?: string
      channel?: string
      limit: number
      cursor?: string
    }): Promise<Page<ThreadRecord>>
    /** Throws StoreConflict('thread_conflict', {thread}) when `singleOpen` and another is open/snoozed. */
    create(
      t: {
        id: string
        contact_id: string
        channel: string
        assignee: string | null
        tags: string[]
      },
      singleOpen: boolean,
      actor: string,
      now: string,
      events: NewEvent[],
    ): Promise<ThreadRecord>
    close(
      id: string,
      unassign: boolean,
      actor: string,
      now: string,
      events: NewEvent[],
    ): Promise<ThreadRecord | null>
    snooze(
      id: string,
      until: string,
      actor: string,
      now: string,
      events: NewEvent[],
    ): Promise<ThreadRecord | null>
    assign(
      id: string,
      agent: string | null,
      actor: string,
      now: string,
      events: NewEvent[],
    ): Promise<ThreadRecord | null>
    setTags(
      id: string,
      tags: string[],
      actor: string,
      now: string,
      events: NewEvent[],
    ): Promise<ThreadRecord | null>
    /** Snoozed threads whose `snoozed_until` <= now become open (event `woke`); returns them. */
    wakeDue(now: string): Promise<ThreadRecord[]>
    events(threadId: string): Promise<ThreadEventRecord[]>
  }
  readonly messages: {
    get(id: string): Promise<MessageRecord | null>
    listByThread(threadId: string, limit: number, cursor?: string): Promise<Page<MessageRecord>>
    /** Messages and thread events of a contact, oldest first. */
    timeline(contactId: string, limit: number, cursor?: string): Promise<Page<TimelineItem>>
    findByPlatformId(channel: string, platformMessageId: string): Promise<MessageRecord | null>
    /** Email Message-IDs of a thread's messages, oldest first (for In-Reply-To / References). */
    emailIds(threadId: string): Promise<string[]>
    /**
     * Moves a message forward (queued → sending → sent → delivered → read; failed/cancelled final).
     * A move backwards or out of a final state is ignored: resolves false.
     */
    advance(
      id: string,
      status: MessageStatus,
      at: string,
      extra: { error?: MessageError; platformMessageId?: string },
      events: NewEvent[],
    ): Promise<boolean>
    /** First outbound messages today to identities that never wrote (WhatsApp pacing). */
    countUnrepliedSince(channel: string, since: string): Promise<number>
    /**
     * Ack watchdog: outbound messages of `channel` still `sent` (no delivery ack) with `sent_at`
     * <= `sentBefore` and not flagged yet, oldest first, at most `limit`.
     */
    listAwaitingAck(channel: string, sentBefore: string, limit: number): Promise<MessageRecord[]>
    /**
     * Sets `undelivered_after` to `at` and queues `events` in one transaction, only while the
     * message is still `sent` and unflagged (so once per message): resolves whether it did.
     */
    flagUndelivered(id: string, at: string, events: NewEvent[]): Promise<boolean>
    /** Operator retry: a `failed` message queued again under its id, with a new outbox job. */
    retry(r: MessageRetry): Promise<RetryOutcome>
  }
  /** Group-committed: resolves once the plan's transaction is durable (fsync / commit). */
  accept(plan: AcceptPlan): Promise<AcceptOutcome>
  readonly idempotency: {
    get(keyId: string, key: string): Promise<StoredIdempotency | null>
  }
  readonly inbound: {
    receive(plan: InboundPlan): Promise<InboundOutcome>
  }
  readonly bulk: {
    /** Stores the job (status running) and its recipient snapshot in one transaction. */
    create(b: NewBulk, now: string): Promise<BulkRecord>
    get(id: string): Promise<BulkRecord | null>
    /** Bulks not finished yet (running, or cancelled with messages in flight), oldest first. */
    listUnfinished(): Promise<BulkRecord[]>
    /** Contact ids at positions [from, from + limit) of the snapshot. */
    recipients(id: string, from: number, limit: number): Promise<string[]>
    /** Facts for the rules, by contact id; unknown ids are absent. */
    facts(contactIds: readonly string[], channel: string): Promise<Map<string, BulkRecipientFacts>>
    /**
     * Applies a chunk in one transaction: each plan as a single send would be (a conflict found
     * there counts as skipped by its code), the counts bumped and the cursor moved to `to`. Only
     * while the bulk is running with its cursor at `from`: otherwise nothing is written and it
     * resolves null. A contact that already has a message of this bulk is never given another.
     */
    applyChunk(c: BulkChunk): Promise<BulkRecord | null>
    /** The bulk's messages per status. */
    counts(id: string): Promise<BulkCounts>
    /**
     * Finishes the bulk when nothing of it is left to do: a running one whose recipients are
     * all checked becomes `done`, a cancelled one gets its finish time; in both cases no message
     * may be queued or sending. Each of `events` is queued with its `data` completed by the
     * finished bulk's summary (`bulkSummary()`: record and counts as committed). Resolves the
     * finished record, or null when not finished.
     */
    finish(id: string, now: string, events: NewEvent[]): Promise<BulkRecord | null>
    /** running → cancelled (expansion stops); resolves the record, null when unknown. */
    cancel(id: string, now: string): Promise<BulkRecord | null>
    /**
     * Cancels up to `limit` of the bulk's queued or sending messages whose outbox job is not
     * under a live lease at `nowMs` (wall clock, as leases are): job deleted, message cancelled
     * at `at`. Resolves how many.
     */
    cancelPending(id: string, at: string, nowMs: number, limit: number): Promise<number>
    /**
     * Ends an unfinished bulk as `failed` with `error` (its job cannot be read): nothing more is
     * enqueued, its recipient snapshot is dropped, `events` are queued in the same transaction,
     * completed with the bulk's summary as `finish` does. Messages already enqueued are left to
     * go out. Resolves the record, null when unknown or already finished.
     */
    fail(
      id: string,
      now: string,
      error: MessageError,
      events: NewEvent[],
    ): Promise<BulkRecord | null>
  }
  readonly outbox: {
    /**
     * Leases up to `limit` due jobs (due_at <= now and no live lease) for `leaseMs`, in batches.
     * Jobs of the channels in `skip` are left alone: stateful channels another daemon owns
     * (DESIGN §10), whose jobs only their owner may send.
     */
    lease(
      nowMs: number,
      limit: number,
      leaseMs: number,
      skip?: readonly string[],
    ): Promise<OutboxJob[]>
    /**
     * Records what became of leased jobs, all in one transaction (one fsync), each outcome in its
     * own savepoint: one that cannot be recorded (a bug) is undone alone and comes back in
     * `rejected`; a store fault rejects the whole call and nothing is recorded.
     */
    record(outcomes: readonly OutboxOutcome[]): Promise<RecordResult<OutboxOutcome>>
    /** Cancels queued (not leased) jobs of the given messages; resolves how many. */
    cancel(messageIds: string[], at: string): Promise<number>
    depth(): Promise<number>
    /** Earliest time (ms) a job becomes leasable, or null; jobs of `skip` channels not counted. */
    nextDue(skip?: readonly string[]): Promise<number | null>
  }
  readonly webhooks: {
    lease(nowMs: number, limit: number, leaseMs: number): Promise<WebhookDelivery[]>
    /** Records delivery outcomes in one transaction. */
    record(outcomes: readonly WebhookOutcome[]): Promise<void>
    depth(): Promise<number>
    /** Dead letters, newest first. */
    deadLetters(limit: number, cursor?: string): Promise<Page<DeadLetter>>
    /**
     * Queues a dead letter again as a fresh delivery of the same event (attempts 0, due at
     * `nowMs`) and removes it, in one transaction. Resolves the new delivery's id, null when
     * there is no such dead letter (unknown, or replayed already).
     */
    replay(id: number, nowMs: number): Promise<{ deliveryId: number; eventId: string } | null>
  }
  readonly kv: {
    get(scope: string, key: string): Promise<string | null>
    set(scope: string, key: string, value: string): Promise<void>
  }
  readonly attachments: {
    get(id: string): Promise<AttachmentRecord | null>
  }
  readonly blobs: {
    /** Writes the blob durably (SQLite: `blobs/<sha256>` fsync'd, atomic rename); its hash and size. */
    put(data: Buffer): Promise<{ sha256: string; size: number }>
    read(sha256: string): Promise<Buffer>
    /** The blob's file when blobs are files (SQLite); throws on anything but a sha256 hex digest. */
    path(sha256: string): string
  }
  /**
   * Notifications between processes sharing this store (PostgreSQL `LISTEN/NOTIFY`); absent when
   * the store serves one process only (SQLite). The live bus goes through it across daemons.
   */
  readonly notifications?: StoreNotifications
  /**
   * Named locks shared by every daemon on this store (PostgreSQL session advisory locks on a
   * connection of their own); absent when the store serves one process only (SQLite).
   */
  sharedLocks?(o: SharedLocksOptions): SharedLocks
  /** Rate slots shared by every daemon (PostgreSQL); absent when this daemon alone sends. */
  readonly pacing?: SharedPacing
  readonly consent: {
    /** The contact's current state per channel that was ever set, by channel name. */
    state(contactId: string): Promise<ConsentRecord[]>
    /** Every change, oldest first. */
    history(contactId: string): Promise<ConsentRecord[]>
    /** Of `contactIds`, those opted out on `channel`. */
    optedOut(contactIds: readonly string[], channel: string): Promise<Set<string>>
    /**
     * Records a change in one transaction (the contact locked, its version bumped so a send
     * decided before it is decided again): state, history row, timeline event and app events.
     * A change to the state the channel is in already writes nothing (`changed: false`).
     * An unknown contact resolves null.
     */
    record(change: ConsentChange): Promise<ConsentOutcome | null>
  }
  /** Automation firings (DESIGN §14): what fired for which trigger, durable across restarts. */
  readonly automations: {
    /**
     * Records that `automation` acts on a trigger, in one transaction with the contact locked:
     * `seen` when that trigger is recorded already (an event seen twice, a restart), `too_soon`
     * when `oncePerMs` is set and the automation fired (not skipped) for the contact less than
     * that before `at`, `no_contact` when the contact is gone; else `claimed` and the row written.
     */
    claim(f: AutomationFiring): Promise<FiringClaim>
    /** Marks a claimed firing as refused with `code` and queues `events`, in one transaction. */
    skip(automation: string, triggerKey: string, code: string, events: NewEvent[]): Promise<void>
    /**
     * Open threads (of `channels`, or any when null) whose last message that no automation wrote
     * is at or before `before`, whose silence period (`silenceKey()`) `automation` has no row
     * for yet; longest silent first, at most `limit`.
     */
    silentThreads(q: {
      automation: string
      before: string
      channels: readonly string[] | null
      limit: number
    }): Promise<SilentThread[]>
    /** The contact's inbound messages, counted up to `max`. */
    inboundCount(contactId: string, max: number): Promise<number>
  }
  /** Web chat (DESIGN §12): a visitor's conversation on a channel, and the offline fallback timers. */
  readonly webchat: WebchatRepo
  /** Online backup to a file (SQLite). */
  backup(file: string): Promise<void>
  integrityCheck(): Promise<string>
  close(): Promise<void>
}

/** Who takes the locks, and whom to tell when they are all lost with their connection. */
export interface SharedLocksOptions {
  /** Shown to the other daemons as the owner of what this daemon holds. */
  daemonId: string
  /** Every lock was lost with the connection (called once per loss). */
  onLost: (reason: string) => void
}

/** Locks one daemon at a time may hold, named; see `Store.sharedLocks`. */
export interface SharedLocks {
  /** Tries the names not held yet; answers those held now. Throws when the store is unreachable. */
  acquire(names: readonly string[]): Promise<Set<string>>
  release(name: string): Promise<void>
  /** The daemon id holding each name held by anyone. */
  owners(names: readonly string[]): Promise<Map<string, string>>
  close(): Promise<void>
}

/**
 * Payloads sent to every process listening on a channel of the same database, once the sending
 * statement commits. A payload longer than `maxPayloadBytes` is still carried (the store keeps it
 * aside a few minutes and sends a reference its listeners resolve), so callers keep payloads
 * under the limit for speed, not for correctness. Delivery is at most once: what a listener
 * misses while disconnected is not replayed.
 */
export interface StoreNotifications {
  /** The largest payload (UTF-8 bytes) one notification carries as it is. */
  readonly maxPayloadBytes: number
  /** Sends the payloads on `channel`, in order, in one transaction. Rejects on a store fault. */
  notify(channel: string, payloads: readonly string[]): Promise<void>
  /**
   * Listens on `channel` on a connection of its own (never one of the pool's), reconnecting with
   * backoff while the server is away; `onPayload` gets each payload in the order they arrive.
   */
  listen(channel: string, onPayload: (payload: string) => void, hooks?: ListenHooks): Listening
}

/** What a listener tells its owner about its connection (for logs and tests). */
export interface ListenHooks {
  /** Listening (again): every payload sent from now on arrives. */
  onListening?: () => void
  /** The connection failed; `retryMs` until the next attempt. */
  onLost?: (error: Error, retryMs: number) => void
}

export interface Listening {
  /** Stops listening and ends its connection (idempotent). */
  close(): Promise<void>
}

/** A contact's consent on one channel (DESIGN §15); no record means opted in (never changed). */
export type ConsentStatus = 'opted_in' | 'opted_out'

/**
 * Who changed it: the person by keyword (`id`: the inbound message, `text`: the keyword) or by
 * the email one-click link; an API key by role (`id`: the key's id, `text`: its note).
 */
export interface ConsentSource {
  kind: 'keyword' | 'one_click' | 'agent' | 'app' | 'api'
  id?: string
  text?: string
}

/** One change of consent, or the current state of a channel (its last change). */
export interface ConsentRecord {
  channel: string
  status: ConsentStatus
  at: string
  source: ConsentSource
}

/** An automation acting on one trigger (DESIGN §14), as `Store.automations.claim` records it. */
export interface AutomationFiring {
  automation: string
  /** What fired it, unique per automation: `msg:<id>`, `ev:<event id>`, `silentKey()` … */
  triggerKey: string
  contactId: string
  threadId: string | null
  at: string
  /** `once_per` in ms, or null for no limit. */
  oncePerMs: number | null
}

export type FiringClaim = 'claimed' | 'seen' | 'too_soon' | 'no_contact'

/** A thread nobody wrote in for a while (automations' own sends not counted). */
export interface SilentThread {
  id: string
  contact_id: string
  channel: string
  /** The last message's time, either direction, automations' own sends not counted. */
  last_at: string
}

/** The trigger key of a thread's silence period: one firing per automation until someone writes. */
export function silenceKey(threadId: string, lastAt: string): string {
  return `silent:${threadId}:${lastAt}`
}

/** A consent change to record, with what it writes besides the state and history rows. */
export interface ConsentChange {
  /** `cs_…`: the history row's id. */
  id: string
  contactId: string
  channel: string
  status: ConsentStatus
  source: ConsentSource
  now: string
  /**
   * The thread whose timeline shows the change (`te_…` event `opted_out`/`opted_in`); without
   * one, the contact's newest thread on the channel, if any.
   */
  threadId?: string
  /** App events queued only when the state changed; the store fills `thread_id` in. */
  events: NewEvent[]
}

export interface ConsentOutcome {
  /** False when the channel was in that state already: nothing was written. */
  changed: boolean
  /** The thread the timeline event went to (null: the contact has no thread on the channel). */
  threadId: string | null
}

/**
 * A merge as the gateway plans it: which active threads it expects to close (the older ones of a
 * clash on one channel, `mergeClashes()` in store/core/merge.ts) with the app events of each close,
 * and the `contact.merged` app events. The store decides the clashes again under the locks; when
 * they differ from the plan (a thread opened or closed meanwhile) nothing is written: `stale`.
 */
export interface ContactMerge {
  into: string
  /** Live contacts, without `into`, without duplicates. */
  from: string[]
  now: string
  /** The key id that asked (the thread events' actor). */
  actor: string
  closes: { threadId: string; keptThreadId: string; events: NewEvent[] }[]
  events: NewEvent[]
}

export type MergeOutcome =
  | { ok: true; contact: ContactRecord; closed: string[] }
  /** No such contact (unknown or erased). */
  | { ok: false; code: 'not_found'; id: string }
  /** This one was merged into `into` meanwhile: resolve again. */
  | { ok: false; code: 'merged'; id: string; into: string }
  | { ok: false; code: 'stale' }

/** One entry of a contact's timeline. */
export type TimelineItem =
  | { kind: 'message'; at: string; message: MessageRecord }
  | { kind: 'event'; at: string; event: ThreadEventRecord }

/** A uniqueness or state conflict found inside a transaction. */
export class StoreConflict extends Error {
  constructor(
    readonly code: 'identity_taken' | 'thread_conflict' | 'external_id_taken',
    readonly details: Record<string, unknown> = {},
  ) {
    super(code)
    this.name = 'StoreConflict'
  }
}

/**
 * A stored row that cannot be read back (a JSON column that does not parse): the data is damaged
 * and no retry mends it, so callers take the row out of the work (a message or bulk fails with
 * `corrupt_record`) rather than retry it forever. Names the row, never its content.
 */
export class CorruptRecord extends Error {
  constructor(
    readonly table: string,
    readonly id: string,
    readonly column: string,
    cause?: unknown,
  ) {
    super(`${table} ${id}: column ${column} cannot be read`, cause === undefined ? {} : { cause })
    this.name = 'CorruptRecord'
  }
}

/** A pending offline fallback of one outbound web chat message (DESIGN §12), due at `due_at`. */
export interface FallbackTimer {
  message_id: string
  kind: 'push' | 'email'
  /** The webchat channel the message went out on. */
  channel: string
  contact_id: string
  due_at: string
}

/** A fallback that ran: the message it sent on its own channel, or the refusal it met. */
export interface FallbackRecord {
  kind: 'push' | 'email'
  at: string
  /** The fallback's own message (on the push or email channel); null when it was refused. */
  message_id: string | null
  error: MessageError | null
}

/** The web chat channel's reads and its durable fallback timers (migration 12). */
export interface WebchatRepo {
  /** The contact's messages on `channel`, both directions, newest first, ids below `before`. */
  history(
    contactId: string,
    channel: string,
    before: string | null,
    limit: number,
  ): Promise<MessageRecord[]>
  /** The contact's messages on `channel` with ids above `after`, oldest first (a stream resuming). */
  since(contactId: string, channel: string, after: string, limit: number): Promise<MessageRecord[]>
  /** Outbound messages of the contact on `channel` still `sent` (no stream got them), oldest first. */
  undelivered(contactId: string, channel: string, limit: number): Promise<MessageRecord[]>
  /** Adds timers; one already there for the same message and kind is kept as it is. */
  schedule(timers: readonly FallbackTimer[]): Promise<void>
  /** Timers due at `now`, earliest first. */
  due(now: string, limit: number): Promise<FallbackTimer[]>
  /**
   * The timer ran: removed, and its record kept on the message (the first record of a kind wins);
   * null: nothing was needed (the message was seen, no subscription), no record.
   */
  done(
    timer: Pick<FallbackTimer, 'message_id' | 'kind'>,
    record: FallbackRecord | null,
  ): Promise<void>
  /** Removes the message's pending timers (it was read); resolves how many. */
  cancel(messageId: string): Promise<number>
  /** The fallbacks a message got, in the order they ran. */
  fallbacks(messageId: string): Promise<FallbackRecord[]>
}
