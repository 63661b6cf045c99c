/**
 * Message and attachment inserts of the transaction port (prepared statements, hot path).
 */
import type { AttachmentInsert, MessageInsert } from '../core/port.js'
import type { MessageError, MessageStatus } from '../types.js'
import type { Executor } from './executor.js'

const INSERT = `INSERT INTO messages (id, thread_id, contact_id, channel, direction, author_kind,
    author_id, address, text, template, email, email_message_id, status, platform_message_id,
    bulk_id, created_at, queued_at, sent_at, delivered_at, send_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
const DEDUPE = `SELECT id, contact_id, thread_id FROM messages
  WHERE channel = ? AND platform_message_id = ? AND direction = 'in'`
const STATUS_OF = `SELECT status FROM messages WHERE id = ?`
const FLAG_UNDELIVERED = `UPDATE messages SET undelivered_after = ?
  WHERE id = ? AND direction = 'out' AND status = 'sent' AND undelivered_after IS NULL`
/** Operator retry (migration 8 keeps the earlier tries' history). */
const REQUEUE = `UPDATE messages SET status = 'queued', earlier_history = ?, queued_at = ?,
    attempts = 0, error_code = NULL, error_message = NULL, possible_duplicate = 0,
    undelivered_after = NULL, sending_at = NULL, sent_at = NULL, delivered_at = NULL,
    read_at = NULL, failed_at = NULL, cancelled_at = NULL
  WHERE id = ? AND status = 'failed'`
const INSERT_ATTACHMENT = `INSERT INTO attachments
    (id, message_id, sha256, filename, content_type, size, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?)`

export class MessageWriter {
  constructor(private readonly x: Executor) {}

  insert(m: MessageInsert): void {
    this.x
      .stmt(INSERT)
      .run(
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
      )
  }

  /** Links attachment rows (their blobs are already on disk) to a message. */
  attachments(messageId: string, list: readonly AttachmentInsert[], now: string): void {
    for (const a of list) {
      this.x
        .stmt(INSERT_ATTACHMENT)
        .run(a.id, messageId, a.sha256, a.filename, a.content_type, a.size, now)
    }
  }

  findInbound(
    channel: string,
    platformMessageId: string,
  ): { id: string; contact_id: string; thread_id: string } | null {
    const row = this.x.stmt(DEDUPE).get(channel, platformMessageId) as
      { id: string; contact_id: string; thread_id: string } | undefined
    return row ?? null
  }

  status(id: string): MessageStatus | null {
    const row = this.x.stmt(STATUS_OF).get(id) as { status: MessageStatus } | undefined
    return row?.status ?? null
  }

  /** The core checked the move (canAdvance); `status` is one of the known statuses. */
  setStatus(
    id: string,
    status: MessageStatus,
    at: string,
    extra: { error?: MessageError; platformMessageId?: string },
  ): void {
    this.x.stmt(setStatusSql(status)).run({
      id,
      at,
      code: extra.error?.code ?? null,
      message: extra.error?.message ?? null,
      pmid: extra.platformMessageId ?? null,
    })
  }

  requeue(id: string, at: string, earlier: readonly { status: string; at: string }[]): boolean {
    return this.x.stmt(REQUEUE).run(JSON.stringify(earlier), at, id).changes > 0
  }

  flagUndelivered(id: string, at: string): boolean {
    return this.x.stmt(FLAG_UNDELIVERED).run(at, id).changes > 0
  }
}

// The status and its time column; the error is kept when the move brings none. `status` was
// checked against the known statuses by canAdvance before it reaches this text.
function setStatusSql(status: MessageStatus): string {
  return `UPDATE messages SET status = '${status}', ${status}_at = @at,
    error_code = coalesce(@code, error_code),
    error_message = CASE WHEN @code IS NULL THEN error_message ELSE @message END,
    platform_message_id = coalesce(@pmid, platform_message_id) WHERE id = @id`
}
