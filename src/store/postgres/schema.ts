/**
 * Row types of the PostgreSQL schema (postgres/migrations/) for kysely's query builder. As read
 * through the pool's parsers (pool.ts): times ISO text, `json` columns the stored text, `bigint`
 * a number, booleans booleans. Written values: JSON as text (the column casts it).
 */
import type { Generated } from 'kysely'

export interface PgContactsTable {
  id: string
  /** Recency: nextval(contacts_seq) on activity, so `ORDER BY seq DESC` is newest first. */
  seq: Generated<number>
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
  /** tsvector literal written by search-vector.ts. */
  search: string
  version: Generated<number>
  timezone?: string | null
  /** Migration 10: the survivor this contact was merged into. */
  merged_into?: string | null
}

export interface PgIdentitiesTable {
  id: string
  contact_id: string
  channel: string
  address: string
  first_inbound_at: string | null
  last_inbound_at: string | null
  reachable: boolean
  created_at: string
}

export interface PgThreadsTable {
  seq: Generated<number>
  id: string
  contact_id: string
  channel: string
  status: string
  assignee: string | null
  snoozed_until: string | null
  created_at: string
  updated_at: string
  closed_at: string | null
}

export interface PgThreadTagsTable {
  thread_id: string
  tag: string
}

export interface PgThreadEventsTable {
  seq: Generated<number>
  id: string
  thread_id: string
  contact_id: string
  type: string
  actor: string
  data: string
  at: string
}

export interface PgMessagesTable {
  seq: Generated<number>
  id: string
  thread_id: string
  contact_id: string
  channel: string
  direction: string
  author_kind: string
  author_id: string | null
  address: string
  text: string | null
  template: string | null
  email: string | null
  email_message_id: string | null
  status: string
  error_code: string | null
  error_message: string | null
  platform_message_id: string | null
  bulk_id: string | null
  attempts: Generated<number>
  possible_duplicate: Generated<boolean>
  created_at: string
  queued_at: string | null
  sending_at: string | null
  sent_at: string | null
  delivered_at: string | null
  read_at: string | null
  failed_at: string | null
  cancelled_at: string | null
  undelivered_after: string | null
  /** Migration 8: the status history of the tries before an operator retry (JSON), or null. */
  earlier_history: string | null
  send_at?: string | null
}

export interface PgAttachmentsTable {
  id: string
  message_id: string | null
  sha256: string
  filename: string
  content_type: string
  size: number
  created_at: string
}

export interface PgBlobsTable {
  sha256: string
  size: number
  data: Buffer
  created_at: string
}

export interface PgOutboxTable {
  job_id: Generated<number>
  message_id: string
  channel: string
  recipient_key: string
  due_at: number
  lease_until: Generated<number>
  attempts: Generated<number>
  priority: Generated<number>
}

export interface PgIdempotencyTable {
  key_id: string
  key: string
  body_hash: string
  status: number
  response: string
  created_at: string
}

export interface PgWebhookOutboxTable {
  id: Generated<number>
  event_id: string
  target: string
  payload: string
  due_at: number
  lease_until: Generated<number>
  attempts: Generated<number>
}

export interface PgBulksTable {
  seq: Generated<number>
  id: string
  channel: string
  status: string
  author_kind: string
  author_id: string | null
  spec: string
  total: number
  checked: Generated<number>
  eligible: Generated<number>
  skipped: Generated<string>
  next_due_at: Generated<number>
  created_at: string
  updated_at: string
  cancelled_at: string | null
  finished_at: string | null
  error_code: string | null
  error_message: string | null
}

export interface PgBulkRecipientsTable {
  bulk_id: string
  page: number
  contact_ids: string
}

export interface PgKvTable {
  scope: string
  key: string
  value: string
}

export interface PgSchema {
  contacts: PgContactsTable
  identities: PgIdentitiesTable
  threads: PgThreadsTable
  thread_tags: PgThreadTagsTable
  thread_events: PgThreadEventsTable
  messages: PgMessagesTable
  attachments: PgAttachmentsTable
  blobs: PgBlobsTable
  outbox: PgOutboxTable
  idempotency: PgIdempotencyTable
  webhook_outbox: PgWebhookOutboxTable
  bulks: PgBulksTable
  bulk_recipients: PgBulkRecipientsTable
  kv: PgKvTable
}
