/**
 * What `omnigate copy` carries from SQLite to PostgreSQL, table by table, in the order foreign
 * keys need. Adding a table (a new migration on both dialects) is one entry here. Each table is
 * read in its key's order (the resume point), with the columns both dialects share; what differs
 * is said per entry: SQLite's 0/1 that PostgreSQL keeps as boolean, sequence numbers PostgreSQL
 * generates (`GENERATED ALWAYS`: inserted with OVERRIDING SYSTEM VALUE and moved past the copied
 * ones), and what PostgreSQL computes its own way (the contact search vector, from the fields, as
 * the PostgreSQL dialect writes it; SQLite's FTS5 table is not carried).
 */
import { contactSearchVector } from '../postgres/search-vector.js'

export interface CopyTable {
  /** The table's name, the same on both dialects. */
  name: string
  /** The key, as SQLite expressions: rows are read in this order and resumed after the last one. */
  key: string[]
  /** The PostgreSQL columns written, read from SQLite columns of the same name. */
  columns: string[]
  /** SQLite expressions for columns whose name does not say it (attachments' seq is the rowid). */
  from?: Record<string, string>
  /** Columns SQLite stores as 0/1 and PostgreSQL as boolean. */
  booleans?: string[]
  /** A `GENERATED ALWAYS AS IDENTITY` column: copied as it is, its sequence moved past it. */
  identity?: string
  /** A plain sequence feeding `column` (contacts: `contacts_seq`), moved past the copied values. */
  sequence?: { name: string; column: string }
  /** Columns PostgreSQL has and SQLite has not, computed from the row as read. */
  computed?: Record<string, (row: Record<string, unknown>) => unknown>
  /** On a key already there: keep the target's row (default) or take the source's (kv). */
  onConflict?: 'keep' | 'replace'
}

const CONTACT_COLUMNS = [
  'seq',
  'id',
  'first_name',
  'last_name',
  'email',
  'phone',
  'external_id',
  'attributes',
  'blocked',
  'created_at',
  'updated_at',
  'last_activity_at',
  'version',
]

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)

export const COPY_TABLES: readonly CopyTable[] = [
  {
    name: 'contacts',
    key: ['seq'],
    columns: CONTACT_COLUMNS,
    booleans: ['blocked'],
    sequence: { name: 'contacts_seq', column: 'seq' },
    computed: {
      search: (r) =>
        contactSearchVector({
          first_name: str(r.first_name),
          last_name: str(r.last_name),
          email: str(r.email),
          phone: str(r.phone),
        }),
    },
  },
  {
    name: 'identities',
    key: ['id'],
    columns: [
      'id',
      'contact_id',
      'channel',
      'address',
      'first_inbound_at',
      'last_inbound_at',
      'reachable',
      'created_at',
    ],
    booleans: ['reachable'],
  },
  {
    name: 'threads',
    key: ['seq'],
    columns: [
      'seq',
      'id',
      'contact_id',
      'channel',
      'status',
      'assignee',
      'snoozed_until',
      'created_at',
      'updated_at',
      'closed_at',
    ],
    identity: 'seq',
  },
  { name: 'thread_tags', key: ['thread_id', 'tag'], columns: ['thread_id', 'tag'] },
  {
    name: 'thread_events',
    key: ['seq'],
    columns: ['seq', 'id', 'thread_id', 'contact_id', 'type', 'actor', 'data', 'at'],
    identity: 'seq',
  },
  {
    name: 'messages',
    key: ['seq'],
    columns: [
      'seq',
      'id',
      'thread_id',
      'contact_id',
      'channel',
      'direction',
      'author_kind',
      'author_id',
      'address',
      'text',
      'template',
      'email',
      'email_message_id',
      'status',
      'error_code',
      'error_message',
      'platform_message_id',
      'bulk_id',
      'attempts',
      'possible_duplicate',
      'created_at',
      'queued_at',
      'sending_at',
      'sent_at',
      'delivered_at',
      'read_at',
      'failed_at',
      'cancelled_at',
      'undelivered_after',
      'earlier_history',
    ],
    booleans: ['possible_duplicate'],
    identity: 'seq',
  },
  {
    // SQLite lists a message's attachments by rowid; PostgreSQL by seq: the rowid becomes seq.
    name: 'attachments',
    key: ['rowid'],
    columns: [
      'seq',
      'id',
      'message_id',
      'sha256',
      'filename',
      'content_type',
      'size',
      'created_at',
    ],
    from: { seq: 'rowid' },
    identity: 'seq',
  },
  {
    name: 'outbox',
    key: ['job_id'],
    columns: [
      'job_id',
      'message_id',
      'channel',
      'recipient_key',
      'due_at',
      'lease_until',
      'attempts',
      'priority',
    ],
    identity: 'job_id',
  },
  {
    name: 'webhook_outbox',
    key: ['id'],
    columns: ['id', 'event_id', 'target', 'payload', 'due_at', 'lease_until', 'attempts'],
    identity: 'id',
  },
  {
    name: 'bulks',
    key: ['seq'],
    columns: [
      'seq',
      'id',
      'channel',
      'status',
      'author_kind',
      'author_id',
      'spec',
      'total',
      'checked',
      'eligible',
      'skipped',
      'next_due_at',
      'created_at',
      'updated_at',
      'cancelled_at',
      'finished_at',
      'error_code',
      'error_message',
    ],
    identity: 'seq',
  },
  {
    name: 'bulk_recipients',
    key: ['bulk_id', 'page'],
    columns: ['bulk_id', 'page', 'contact_ids'],
  },
  {
    name: 'idempotency',
    key: ['key_id', 'key'],
    columns: ['key_id', 'key', 'body_hash', 'status', 'response', 'created_at'],
  },
  {
    name: 'consent',
    key: ['contact_id', 'channel'],
    columns: ['contact_id', 'channel', 'status', 'at', 'source_kind', 'source_id', 'source_text'],
  },
  {
    name: 'consent_history',
    key: ['seq'],
    columns: [
      'seq',
      'id',
      'contact_id',
      'channel',
      'status',
      'at',
      'source_kind',
      'source_id',
      'source_text',
    ],
    identity: 'seq',
  },
  {
    name: 'webhook_dead_letters',
    key: ['id'],
    columns: ['id', 'event_id', 'target', 'payload', 'attempts', 'error', 'failed_at'],
    identity: 'id',
  },
  { name: 'erasures', key: ['contact_id'], columns: ['contact_id', 'erased_at', 'erased_by'] },
  {
    name: 'erased_message_counts',
    key: ['channel', 'direction', 'status'],
    columns: ['channel', 'direction', 'status', 'n'],
  },
  {
    name: 'webchat_fallback_timers',
    key: ['message_id', 'kind'],
    columns: ['message_id', 'kind', 'channel', 'contact_id', 'due_at'],
  },
  {
    name: 'message_fallbacks',
    key: ['message_id', 'kind'],
    columns: ['message_id', 'kind', 'at', 'fallback_message_id', 'error_code', 'error_message'],
  },
  // The daemon's own settings (the attachment link secret …): the source's win, so links signed
  // before the move still open.
  { name: 'kv', key: ['scope', 'key'], columns: ['scope', 'key', 'value'], onConflict: 'replace' },
]
