/**
 * Attachment metadata (the bytes are blobs on disk, see blob-store.ts).
 */
import { sql } from 'kysely'
import type { AttachmentRecord } from '../types.js'
import { qb, type Executor } from './executor.js'
import { toAttachment } from './rows.js'
import type { AttachmentsTable } from './schema.js'

export class AttachmentRepo {
  constructor(private readonly x: Executor) {}

  get(id: string): AttachmentRecord | null {
    const row = this.x.get<AttachmentsTable>(
      qb.selectFrom('attachments').selectAll().where('id', '=', id),
    )
    return row ? toAttachment(row) : null
  }

  /** Attachments of several messages at once, keyed by message id, in insertion order. */
  byMessages(messageIds: readonly string[]): Map<string, AttachmentRecord[]> {
    const out = new Map<string, AttachmentRecord[]>()
    if (messageIds.length === 0) return out
    const rows = this.x.all<AttachmentsTable>(
      qb
        .selectFrom('attachments')
        .selectAll()
        .where('message_id', 'in', [...messageIds])
        .orderBy(sql`rowid`),
    )
    for (const r of rows) {
      if (r.message_id === null) continue
      out.set(r.message_id, [...(out.get(r.message_id) ?? []), toAttachment(r)])
    }
    return out
  }
}
