/**
 * Attachment metadata (the bytes are blobs on disk, see blob-store.ts).
 */
import type { AttachmentRecord } from '../types.js'
import { qb, type Executor } from './executor.js'
import { toAttachment } from './rows.js'
import type { AttachmentsTable } from './schema.js'

// Read with every message (its payload, its view): the ids as one JSON parameter, prepared once.
const OF_MESSAGES = `SELECT * FROM attachments
  WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY rowid`

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
    const rows = this.x.stmt(OF_MESSAGES).all(JSON.stringify(messageIds)) as AttachmentsTable[]
    for (const r of rows) {
      if (r.message_id === null) continue
      out.set(r.message_id, [...(out.get(r.message_id) ?? []), toAttachment(r)])
    }
    return out
  }
}
