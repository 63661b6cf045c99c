/**
 * Message, attachment, outbox, idempotency and app-event operations of the transaction port on
 * PostgreSQL. The status moves are guarded in SQL by the core's forward-only rule (`movableFrom`),
 * so a late outcome never moves a message backwards, whichever daemon records it.
 */
import type {
  AttachmentInsert,
  IdempotencyInsert,
  MessageInsert,
  OutboxInsert,
} from '../core/port.js'
import { movableFrom } from '../core/message-status.js'
import { StoreConflict } from '../types.js'
import type { MessageError, MessageStatus, NewEvent, StoredIdempotency } from '../types.js'
import type { Sql } from './exec.js'

/** Outbox priorities, leased in this order: a bulk never holds up a single send that is due. */
export const PRIORITY = { single: 0, bulk: 1 } as const

/** `'queued', 'sending'`: where a message may move to `to` from, as an SQL list. */
export const fromStatuses = (to: MessageStatus): string =>
  movableFrom(to)
    .map((s) => `'${s}'`)
    .join(', ')

// An inbound duplicate committed meanwhile by another daemon does not abort the transaction: the
// insert does nothing and the core runs the write again, which then finds it (findInbound).
const INSERT = `INSERT INTO messages (id, thread_id, contact_id, channel, direction, author_kind,
    author_id, address, text, template, email, email_message_id, status, platform_message_id,
    bulk_id, created_at, queued_at, sent_at, delivered_at, send_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
    $20)
  ON CONFLICT (channel, platform_message_id)
    WHERE direction = 'in' AND platform_message_id IS NOT NULL DO NOTHING`
const DEDUPE = `SELECT id, contact_id, thread_id FROM messages
  WHERE channel = $1 AND platform_message_id = $2 AND direction = 'in'`
const STATUS_OF = `SELECT status FROM messages WHERE id = $1`
const FLAG_UNDELIVERED = `UPDATE messages SET undelivered_after = $2
  WHERE id = $1 AND direction = 'out' AND status = 'sent' AND undelivered_after IS NULL`
const INSERT_ATTACHMENTS = `INSERT INTO attachments
    (id, message_id, sha256, filename, content_type, size, created_at)
  SELECT a.id, $1, a.sha256, a.filename, a.content_type, a.size, $2
  FROM json_to_recordset($3::json) AS a(id text, sha256 text, filename text, content_type text,
    size integer)`

const INSERT_JOB = `INSERT INTO outbox (message_id, channel, recipient_key, due_at, priority)
  VALUES ($1, $2, $3, $4, $5)`
const DELETE_JOB = `DELETE FROM outbox WHERE job_id = $1`
const SENT = `UPDATE messages SET
    status = CASE WHEN status IN (${fromStatuses('sent')}) THEN 'sent' ELSE status END,
    sent_at = coalesce(sent_at, $2), platform_message_id = coalesce($3, platform_message_id),
    attempts = attempts + 1, possible_duplicate = possible_duplicate OR $4,
    error_code = NULL, error_message = NULL
  WHERE id = $1`
// The tick's sent outcomes at once (completeJobs): one DELETE and one UPDATE for the batch.
const DELETE_JOBS = `DELETE FROM outbox WHERE job_id = ANY($1::bigint[])`
const SENT_MANY = `UPDATE messages m SET
    status = CASE WHEN m.status IN (${fromStatuses('sent')}) THEN 'sent' ELSE m.status END,
    sent_at = coalesce(m.sent_at, u.at), platform_message_id = coalesce(u.pmid, m.platform_message_id),
    attempts = m.attempts + 1, possible_duplicate = m.possible_duplicate OR u.dup,
    error_code = NULL, error_message = NULL
  FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[]) AS u(id, at, pmid, dup)
  WHERE m.id = u.id`
// A status report may have moved the message past `sent` already; failed never overrides that.
const FAILABLE = `status IN (${fromStatuses('failed')})`
const FAILED = `UPDATE messages SET
    failed_at = CASE WHEN ${FAILABLE} THEN $2 ELSE failed_at END,
    error_code = CASE WHEN ${FAILABLE} THEN $3 ELSE error_code END,
    error_message = CASE WHEN ${FAILABLE} THEN $4 ELSE error_message END,
    status = CASE WHEN ${FAILABLE} THEN 'failed' ELSE status END,
    attempts = attempts + 1
  WHERE id = $1`
const RETRY_JOB = `UPDATE outbox SET due_at = $2, lease_until = 0, attempts = attempts + 1
  WHERE job_id = $1`
const RETRY_MESSAGE = `UPDATE messages SET attempts = attempts + 1, error_code = $2,
  error_message = $3, possible_duplicate = possible_duplicate OR $4 WHERE id = $1`
const RELEASE = `UPDATE outbox SET due_at = $2, lease_until = 0 WHERE job_id = $1`
const CANCEL_QUEUED = `DELETE FROM outbox WHERE message_id = $1 AND lease_until <= $2`
const CANCELLED = `UPDATE messages SET status = 'cancelled', cancelled_at = $2
  WHERE id = $1 AND status IN (${fromStatuses('cancelled')})`

export const IDEMPOTENCY_GET = `SELECT body_hash AS "bodyHash", status, response FROM idempotency
  WHERE key_id = $1 AND key = $2`
// Sends with one key take turns from their first read (a transaction lock on the key's hash,
// "omni" as its class): the second finds the first's stored answer instead of deciding again.
export const IDEMPOTENCY_LOCK = `SELECT pg_advisory_xact_lock(${0x6f6d6e69}, hashtext($1 || ':' || $2))`
const IDEMPOTENCY_PUT = `INSERT INTO idempotency
  (key_id, key, body_hash, status, response, created_at) VALUES ($1, $2, $3, $4, $5, $6)`
const ENQUEUE = `INSERT INTO webhook_outbox (event_id, target, payload, due_at)
  SELECT $1, unnest($2::text[]), $3, $4`

export async function insertMessage(sql: Sql, m: MessageInsert): Promise<void> {
  const values = [
    m.id,
    m.thread_id,
    m.contact_id,
    m.channel,
    m.direction,
    m.author.kind,
    m.author.id,
    m.address,
    m.text,
    m.template === null ? null : JSON.stringify(m.template),
    m.email === null ? null : JSON.stringify(m.email),
    m.email?.message_id ?? null,
    m.status,
    m.platform_message_id,
    m.bulk_id,
    m.created_at,
    m.queued_at ?? null,
    m.sent_at ?? null,
    m.delivered_at ?? null,
    m.send_at ?? null,
  ]
  // Only a platform message id can conflict (the inbound dedupe index): ours go out with the
  // transaction's next statement.
  if (m.platform_message_id === null) return sql.later(INSERT, values)
  const n = await sql.run(INSERT, values)
  if (n === 0) {
    // Only the inbound dedupe index is the arbiter: the same platform message, stored already.
    throw new StoreConflict('identity_taken', {
      channel: m.channel,
      platform_message_id: m.platform_message_id,
    })
  }
}

export async function insertAttachments(
  sql: Sql,
  messageId: string,
  list: readonly AttachmentInsert[],
  now: string,
): Promise<void> {
  if (list.length > 0) await sql.run(INSERT_ATTACHMENTS, [messageId, now, JSON.stringify(list)])
}

export async function findInbound(
  sql: Sql,
  channel: string,
  platformMessageId: string,
): Promise<{ id: string; contact_id: string; thread_id: string } | null> {
  return (
    (await sql.one<{ id: string; contact_id: string; thread_id: string }>(DEDUPE, [
      channel,
      platformMessageId,
    ])) ?? null
  )
}

export async function messageStatus(sql: Sql, id: string): Promise<MessageStatus | null> {
  return (await sql.one<{ status: MessageStatus }>(STATUS_OF, [id]))?.status ?? null
}

/** The core checked the move (canAdvance); `status` is one of the known statuses. */
export async function setMessageStatus(
  sql: Sql,
  id: string,
  status: MessageStatus,
  at: string,
  extra: { error?: MessageError; platformMessageId?: string },
): Promise<void> {
  await sql.run(
    `UPDATE messages SET status = '${status}', ${status}_at = $2,
      error_code = coalesce($3, error_code),
      error_message = CASE WHEN $3::text IS NULL THEN error_message ELSE $4 END,
      platform_message_id = coalesce($5, platform_message_id) WHERE id = $1`,
    [
      id,
      at,
      extra.error?.code ?? null,
      extra.error?.message ?? null,
      extra.platformMessageId ?? null,
    ],
  )
}

export async function flagUndelivered(sql: Sql, id: string, at: string): Promise<boolean> {
  return (await sql.run(FLAG_UNDELIVERED, [id, at])) > 0
}

/** Operator retry (migration 8 keeps the earlier tries' history). */
const REQUEUE = `UPDATE messages SET status = 'queued', earlier_history = $3, queued_at = $2,
    attempts = 0, error_code = NULL, error_message = NULL, possible_duplicate = false,
    undelivered_after = NULL, sending_at = NULL, sent_at = NULL, delivered_at = NULL,
    read_at = NULL, failed_at = NULL, cancelled_at = NULL
  WHERE id = $1 AND status = 'failed'`

export async function requeueMessage(
  sql: Sql,
  id: string,
  at: string,
  earlier: readonly { status: string; at: string }[],
): Promise<boolean> {
  return (await sql.run(REQUEUE, [id, at, JSON.stringify(earlier)])) > 0
}

export async function insertOutbox(sql: Sql, j: OutboxInsert): Promise<void> {
  await sql.later(INSERT_JOB, [
    j.messageId,
    j.channel,
    j.recipientKey,
    j.dueAt,
    PRIORITY[j.priority],
  ])
}

export async function completeJob(
  sql: Sql,
  c: {
    jobId: number
    messageId: string
    at: string
    platformMessageId: string | null
    possibleDuplicate: boolean
  },
): Promise<void> {
  await sql.later(DELETE_JOB, [c.jobId])
  await sql.later(SENT, [c.messageId, c.at, c.platformMessageId, c.possibleDuplicate])
}

export async function completeJobs(
  sql: Sql,
  list: readonly {
    jobId: number
    messageId: string
    at: string
    platformMessageId: string | null
    possibleDuplicate: boolean
  }[],
): Promise<void> {
  if (list.length === 0) return
  if (list.length === 1 && list[0]) return completeJob(sql, list[0])
  await sql.later(DELETE_JOBS, [list.map((c) => c.jobId)])
  await sql.later(SENT_MANY, [
    list.map((c) => c.messageId),
    list.map((c) => c.at),
    list.map((c) => c.platformMessageId),
    list.map((c) => c.possibleDuplicate),
  ])
}

export async function failJob(
  sql: Sql,
  c: { jobId: number; messageId: string; at: string; error: MessageError },
): Promise<void> {
  await sql.later(DELETE_JOB, [c.jobId])
  await sql.later(FAILED, [c.messageId, c.at, c.error.code, c.error.message])
}

export async function retryJob(
  sql: Sql,
  c: {
    jobId: number
    messageId: string
    dueAtMs: number
    error: MessageError
    possibleDuplicate: boolean
  },
): Promise<void> {
  await sql.later(RETRY_JOB, [c.jobId, c.dueAtMs])
  await sql.later(RETRY_MESSAGE, [c.messageId, c.error.code, c.error.message, c.possibleDuplicate])
}

export async function cancelLeasedJob(
  sql: Sql,
  jobId: number,
  messageId: string,
  at: string,
): Promise<void> {
  await sql.run(DELETE_JOB, [jobId])
  await cancelMessage(sql, messageId, at)
}

export async function releaseJob(sql: Sql, jobId: number, dueAtMs: number): Promise<void> {
  await sql.run(RELEASE, [jobId, dueAtMs])
}

export async function cancelQueuedJob(
  sql: Sql,
  messageId: string,
  nowMs: number,
): Promise<boolean> {
  return (await sql.run(CANCEL_QUEUED, [messageId, nowMs])) > 0
}

export async function cancelMessage(sql: Sql, messageId: string, at: string): Promise<void> {
  await sql.run(CANCELLED, [messageId, at])
}

export async function getIdempotency(
  sql: Sql,
  keyId: string,
  key: string,
): Promise<StoredIdempotency | null> {
  return (await sql.one<StoredIdempotency>(IDEMPOTENCY_GET, [keyId, key])) ?? null
}

/** The port's read: under the key's transaction lock, held until this send commits. */
export async function lockIdempotency(
  sql: Sql,
  keyId: string,
  key: string,
): Promise<StoredIdempotency | null> {
  // The lock goes with the read in one round trip; the read's own snapshot comes after the lock.
  await sql.later(IDEMPOTENCY_LOCK, [keyId, key])
  return getIdempotency(sql, keyId, key)
}

/**
 * Accept stores its answer under the key's transaction lock, which its first read took
 * (`openAccept`, `lockIdempotency`): nobody else can have stored the key since it was found
 * missing, so the insert goes with the transaction's next statement and answers true. Were the
 * key taken all the same, the insert (no ON CONFLICT) fails the transaction loudly.
 */
export async function putIdempotency(sql: Sql, r: IdempotencyInsert): Promise<boolean> {
  await sql.later(IDEMPOTENCY_PUT, [r.keyId, r.key, r.bodyHash, r.status, r.response, r.at])
  return true
}

/** One delivery per (event, target), in the caller's transaction; the payload is the body to sign. */
export async function enqueueEvents(sql: Sql, events: readonly NewEvent[]): Promise<void> {
  for (const e of events) {
    if (e.targets.length === 0) continue
    const payload = JSON.stringify({
      id: e.id,
      type: e.type,
      created_at: e.created_at,
      data: e.data,
    })
    const dueAt = Date.parse(e.created_at) || 0
    await sql.later(ENQUEUE, [e.id, [...new Set(e.targets)], payload, dueAt])
  }
}
