/**
 * PostgreSQL rows → the store's records. The records must be byte-identical to SQLite's, so the
 * mapping is the SQLite dialect's own (`sqlite/rows.ts`: JSON parsed, corrupt columns flagged,
 * status history assembled); PostgreSQL's booleans are handed to it as the 0/1 it reads. Column
 * lists name exactly the record's columns (never the search vector).
 */
import type { AttachmentRecord, ContactRecord, IdentityRecord, MessageRecord } from '../types.js'
import type { ThreadEventRecord, ThreadRecord } from '../types.js'
import * as sqlite from '../sqlite/rows.js'
import type { MessageRow, ThreadEventRow, ThreadRow } from '../sqlite/schema.js'

export const CONTACT_COLUMNS = `id, seq, first_name, last_name, email, phone, external_id,
  attributes, blocked, created_at, updated_at, last_activity_at, version, timezone, merged_into`
export const ATTACHMENT_COLUMNS = `id, message_id, sha256, filename, content_type, size, created_at`

export interface PgContactRow {
  id: string
  seq: number
  first_name: string | null
  last_name: string | null
  email: string | null
  phone: string | null
  external_id: string | null
  attributes: string
  blocked: boolean
  created_at: string
  updated_at: string
  last_activity_at: string
  version: number
  timezone?: string | null
  merged_into?: string | null
}

export interface PgIdentityRow {
  id: string
  contact_id: string
  channel: string
  address: string
  first_inbound_at: string | null
  last_inbound_at: string | null
  reachable: boolean
  created_at: string
}

export type PgThreadRow = ThreadRow
export type PgThreadEventRow = ThreadEventRow
export type PgMessageRow = Omit<MessageRow, 'possible_duplicate'> & { possible_duplicate: boolean }

export function toContact(r: PgContactRow): ContactRecord {
  return sqlite.toContact({ ...r, blocked: r.blocked ? 1 : 0 })
}

export function toIdentity(r: PgIdentityRow): IdentityRecord {
  return sqlite.toIdentity({ ...r, reachable: r.reachable ? 1 : 0 })
}

export function toThread(r: PgThreadRow, tags: string[]): ThreadRecord {
  return sqlite.toThread(r, tags)
}

export function toEvent(r: PgThreadEventRow): ThreadEventRecord {
  return sqlite.toEvent(r)
}

export function toAttachment(r: AttachmentRecord): AttachmentRecord {
  return { ...r }
}

export function toMessage(r: PgMessageRow, attachments: AttachmentRecord[]): MessageRecord {
  return sqlite.toMessage({ ...r, possible_duplicate: r.possible_duplicate ? 1 : 0 }, attachments)
}
