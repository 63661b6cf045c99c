/**
 * Migration 1: the whole wave-1 schema (DESIGN §2, §3, §8). SQLite dialect: FTS5, an expression
 * index and triggers live here, not in portable code. Bulk tables come with their own migration.
 */
import type { Migration } from '../migrate.js'

const SQL = `
-- seq is the rowid and follows recency: activity moves a contact to max(seq)+1, so
-- ORDER BY seq DESC LIMIT n is "newest activity first" and stops early. id stays stable.
CREATE TABLE contacts (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  first_name TEXT,
  last_name TEXT,
  email TEXT,
  phone TEXT,
  external_id TEXT,
  attributes TEXT NOT NULL DEFAULT '{}',
  blocked INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_activity_at TEXT NOT NULL
);
CREATE UNIQUE INDEX contacts_external_id ON contacts (external_id) WHERE external_id IS NOT NULL;

-- Search text is written by the repository (email parts, phone digit variants) and follows the
-- contact's seq as its rowid, so MATCH … ORDER BY rowid DESC streams newest first. The repository
-- moves rows (sorted per batch, see search-index.ts); it keeps its own copy of the text so a move
-- needs no recomputation.
CREATE VIRTUAL TABLE contacts_fts USING fts5 (
  first_name, last_name, email, phone,
  tokenize = "unicode61 remove_diacritics 2",
  prefix = '2 3 4'
);
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
  DELETE FROM contacts_fts WHERE rowid = old.seq;
END;

CREATE TABLE identities (
  id TEXT PRIMARY KEY,
  contact_id TEXT NOT NULL REFERENCES contacts (id),
  channel TEXT NOT NULL,
  address TEXT NOT NULL,
  first_inbound_at TEXT,
  last_inbound_at TEXT,
  reachable INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  UNIQUE (channel, address)
);
CREATE INDEX identities_contact ON identities (contact_id);

CREATE TABLE threads (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  contact_id TEXT NOT NULL REFERENCES contacts (id),
  channel TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'snoozed', 'closed')),
  assignee TEXT,
  snoozed_until TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  closed_at TEXT
);
CREATE INDEX threads_contact ON threads (contact_id, status);
CREATE INDEX threads_status ON threads (status, assignee);
CREATE INDEX threads_snoozed ON threads (snoozed_until) WHERE status = 'snoozed';

CREATE TABLE thread_tags (
  thread_id TEXT NOT NULL REFERENCES threads (id),
  tag TEXT NOT NULL,
  PRIMARY KEY (thread_id, tag)
) WITHOUT ROWID;
CREATE INDEX thread_tags_tag ON thread_tags (tag, thread_id);

CREATE TABLE thread_events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  thread_id TEXT NOT NULL REFERENCES threads (id),
  contact_id TEXT NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}',
  at TEXT NOT NULL
);
CREATE INDEX thread_events_thread ON thread_events (thread_id, seq);
CREATE INDEX thread_events_contact ON thread_events (contact_id, at, seq);

-- Status history: one timestamp column per status reached.
CREATE TABLE messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  thread_id TEXT NOT NULL REFERENCES threads (id),
  contact_id TEXT NOT NULL REFERENCES contacts (id),
  channel TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  author_kind TEXT NOT NULL,
  author_id TEXT,
  address TEXT NOT NULL,
  text TEXT,
  template TEXT,
  email TEXT,
  email_message_id TEXT,
  status TEXT NOT NULL
    CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled')),
  error_code TEXT,
  error_message TEXT,
  platform_message_id TEXT,
  bulk_id TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  possible_duplicate INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  queued_at TEXT,
  sending_at TEXT,
  sent_at TEXT,
  delivered_at TEXT,
  read_at TEXT,
  failed_at TEXT,
  cancelled_at TEXT
);
-- Inbound dedupe: a platform delivers the same message id more than once.
CREATE UNIQUE INDEX messages_inbound_dedupe ON messages (channel, platform_message_id)
  WHERE direction = 'in' AND platform_message_id IS NOT NULL;
CREATE INDEX messages_platform_id ON messages (channel, platform_message_id)
  WHERE platform_message_id IS NOT NULL;
CREATE INDEX messages_email_id ON messages (email_message_id) WHERE email_message_id IS NOT NULL;
CREATE INDEX messages_thread ON messages (thread_id, seq);
CREATE INDEX messages_contact ON messages (contact_id, created_at, seq);
CREATE INDEX messages_channel_out ON messages (channel, created_at) WHERE direction = 'out';
CREATE INDEX messages_bulk ON messages (bulk_id) WHERE bulk_id IS NOT NULL;

-- Metadata only: the bytes are in blobs/<sha256>.
CREATE TABLE attachments (
  id TEXT PRIMARY KEY,
  message_id TEXT REFERENCES messages (id),
  sha256 TEXT NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

-- A job is leasable once max(due_at, lease_until) <= now: an expired lease is simply due again,
-- so start-up needs no recovery scan and the lease query is one index range (outbox_ready).
CREATE TABLE outbox (
  job_id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL REFERENCES messages (id),
  channel TEXT NOT NULL,
  recipient_key TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_ready ON outbox (max(due_at, lease_until));
CREATE INDEX outbox_message ON outbox (message_id);

CREATE TABLE idempotency (
  key_id TEXT NOT NULL,
  key TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  response TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (key_id, key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);

CREATE TABLE webhook_outbox (
  id INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL,
  target TEXT NOT NULL,
  payload TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_outbox_ready ON webhook_outbox (max(due_at, lease_until));

CREATE TABLE kv (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
`

export const initial: Migration = { version: 1, name: 'initial', up: SQL }
