/**
 * Row types of the SQLite schema (migrations/001-initial.ts) for kysely's query builder. JSON
 * columns are TEXT; booleans are INTEGER 0/1; times are ISO strings except the queue tables' ms.
 */
import type { Generated } from 'kysely'

export interface ContactsTable {
  /** Recency key: moved to max(seq)+1 on activity, so `ORDER BY seq DESC` is newest first. */
  seq: Generated<number>
  id: string
  first_name: string | null
  last_name: string | null
  email: string | null
  phone: string | null
  external_id: string | null
  attributes: string
  blocked: number
  created_at: string
  updated_at: string
  last_activity_at: string
  /** Migration 5: moved by writes that change where a send lands (core/threads.ts). */
  version: Generated<number>
  /** Migration 9: an IANA zone name. */
  timezone?: string | null
  /** Migration 10: the survivor this contact was merged into. */
  merged_into?: string | null
}

export interface ContactsFtsTable {
  rowid: number
  first_name: string | null
  last_name: string | null
  email: string | null
  phone: string | null
}

export interface IdentitiesTable {
  id: string
  contact_id: string
  channel: string
  address: string
  first_inbound_at: string | null
  last_inbound_at: string | null
  reachable: number
  created_at: string
}

export interface ThreadsTable {
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

export interface ThreadTagsTable {
  thread_id: string
  tag: string
}

export interface ThreadEventsTable {
  seq: Generated<number>
  id: string
  thread_id: string
  contact_id: string
  type: string
  actor: string
  data: string
  at: string
}

export interface MessagesTable {
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
  attempts: number
  possible_duplicate: number
  created_at: string
  queued_at: string | null
  sending_at: string | null
  sent_at: string | null
  delivered_at: string | null
  read_at: string | null
  failed_at: string | null
  cancelled_at: string | null
  /** Migration 3: when the ack watchdog flagged the message (no delivery ack in time). */
  undelivered_after: string | null
  /** Migration 8: the status history of the tries before an operator retry (JSON), or null. */
  earlier_history?: string | null
  /** Migration 9: when a held (scheduled or deferred) message goes out; null: at once. */
  send_at?: string | null
}

export interface AttachmentsTable {
  id: string
  message_id: string | null
  sha256: string
  filename: string
  content_type: string
  size: number
  created_at: string
}

export interface OutboxTable {
  job_id: Generated<number>
  message_id: string
  channel: string
  recipient_key: string
  due_at: number
  lease_until: number
  attempts: number
}

export interface IdempotencyTable {
  key_id: string
  key: string
  body_hash: string
  status: number
  response: string
  created_at: string
}

export interface WebhookOutboxTable {
  id: Generated<number>
  event_id: string
  target: string
  payload: string
  due_at: number
  lease_until: number
  attempts: number
}

export interface KvTable {
  scope: string
  key: string
  value: string
}

export interface SchemaMigrationsTable {
  version: number
  name: string
  applied_at: string
}

export interface Schema {
  contacts: ContactsTable
  contacts_fts: ContactsFtsTable
  identities: IdentitiesTable
  threads: ThreadsTable
  thread_tags: ThreadTagsTable
  thread_events: ThreadEventsTable
  messages: MessagesTable
  attachments: AttachmentsTable
  outbox: OutboxTable
  idempotency: IdempotencyTable
  webhook_outbox: WebhookOutboxTable
  kv: KvTable
  schema_migrations: SchemaMigrationsTable
}

export type ContactRow = Omit<ContactsTable, 'seq' | 'version'> & { seq: number; version: number }
export type ThreadRow = Omit<ThreadsTable, 'seq'> & { seq: number }
export type ThreadEventRow = Omit<ThreadEventsTable, 'seq'> & { seq: number }
export type MessageRow = Omit<MessagesTable, 'seq'> & { seq: number }
