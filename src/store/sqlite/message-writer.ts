/**
 * Message and attachment inserts shared by accept and inbound (prepared statements, hot path).
 */
import type { AuthorKind, MessageRecord, MessageStatus } from '../types.js'
import type { Executor } from './executor.js'

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

const INSERT = `INSERT INTO messages (id, thread_id, contact_id, channel, direction, author_kind,
    author_id, address, text, template, email, email_message_id, status, platform_message_id,
    bulk_id, created_at, queued_at, sent_at, delivered_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
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
}
