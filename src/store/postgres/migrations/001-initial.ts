/**
 * Migration 1, PostgreSQL: the wave-1 schema of `sqlite/migrations/001-initial.ts` with the same
 * tables and columns, in PostgreSQL's types where the records stay byte-identical:
 * - times are ISO-8601 text as on SQLite (records carry the exact string that was written, and
 *   `toISOString()` UTC text sorts as time); every text column that is ordered or compared by
 *   range is `COLLATE "C"` so its order is the bytes', whatever the database's locale;
 * - JSON columns are `json` (validated on write, the text kept as written: `jsonb` would reorder
 *   keys); booleans are `boolean`; sequence numbers `bigint`; queue times (epoch ms) `double
 *   precision`, because pacing schedules fractions of a millisecond and SQLite keeps them;
 * - uniqueness is the constraints' (unique and partial unique indexes), never check-then-insert;
 * - contact search is a `tsvector` the dialect writes (search-vector.ts: the same tokens as FTS5's
 *   unicode61 tokenizer) with a GIN index, which also serves prefix queries (`'ana':*`);
 * - attachment bytes live in `blobs` (content-addressed by sha256) so any daemon serves any.
 */
import type { PgMigration } from '../migrate.js'

/** Text ordered by its bytes: ids (ULIDs), ISO times, tags. */
const T = 'text COLLATE "C"'

const SQL = `
-- seq follows recency as on SQLite: activity gives the contact nextval(contacts_seq), so
-- ORDER BY seq DESC LIMIT n is "newest activity first". A sequence, not max(seq)+1, so two
-- daemons moving contacts at once never take the same number.
CREATE SEQUENCE contacts_seq;
CREATE TABLE contacts (
  id ${T} PRIMARY KEY,
  seq bigint NOT NULL DEFAULT nextval('contacts_seq'),
  first_name text,
  last_name text,
  email text,
  phone text,
  external_id text,
  attributes json NOT NULL DEFAULT '{}',
  blocked boolean NOT NULL DEFAULT false,
  created_at ${T} NOT NULL,
  updated_at ${T} NOT NULL,
  last_activity_at ${T} NOT NULL,
  search tsvector NOT NULL DEFAULT ''
);
ALTER SEQUENCE contacts_seq OWNED BY contacts.seq;
CREATE UNIQUE INDEX contacts_seq_key ON contacts (seq);
CREATE UNIQUE INDEX contacts_external_id ON contacts (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX contacts_search ON contacts USING gin (search);

CREATE TABLE identities (
  id ${T} PRIMARY KEY,
  contact_id ${T} NOT NULL REFERENCES contacts (id),
  channel text NOT NULL,
  address text NOT NULL,
  first_inbound_at ${T},
  last_inbound_at ${T},
  reachable boolean NOT NULL DEFAULT true,
  created_at ${T} NOT NULL,
  CONSTRAINT identities_channel_address UNIQUE (channel, address)
);
CREATE INDEX identities_contact ON identities (contact_id);

CREATE TABLE threads (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id ${T} PRIMARY KEY,
  contact_id ${T} NOT NULL REFERENCES contacts (id),
  channel text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'snoozed', 'closed')),
  assignee text,
  snoozed_until ${T},
  created_at ${T} NOT NULL,
  updated_at ${T} NOT NULL,
  closed_at ${T}
);
CREATE INDEX threads_contact ON threads (contact_id, status);
CREATE INDEX threads_status ON threads (status, assignee);
CREATE INDEX threads_snoozed ON threads (snoozed_until) WHERE status = 'snoozed';

CREATE TABLE thread_tags (
  thread_id ${T} NOT NULL REFERENCES threads (id),
  tag ${T} NOT NULL,
  PRIMARY KEY (thread_id, tag)
);
CREATE INDEX thread_tags_tag ON thread_tags (tag, thread_id);

CREATE TABLE thread_events (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id ${T} PRIMARY KEY,
  thread_id ${T} NOT NULL REFERENCES threads (id),
  contact_id ${T} NOT NULL,
  type text NOT NULL,
  actor text NOT NULL,
  data json NOT NULL DEFAULT '{}',
  at ${T} NOT NULL
);
CREATE INDEX thread_events_thread ON thread_events (thread_id, seq);
CREATE INDEX thread_events_contact ON thread_events (contact_id, at, seq);

-- Status history: one timestamp column per status reached.
CREATE TABLE messages (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id ${T} PRIMARY KEY,
  thread_id ${T} NOT NULL REFERENCES threads (id),
  contact_id ${T} NOT NULL REFERENCES contacts (id),
  channel text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  author_kind text NOT NULL,
  author_id text,
  address text NOT NULL,
  text text,
  template json,
  email json,
  email_message_id text,
  status text NOT NULL
    CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled')),
  error_code text,
  error_message text,
  platform_message_id text,
  bulk_id ${T},
  attempts integer NOT NULL DEFAULT 0,
  possible_duplicate boolean NOT NULL DEFAULT false,
  created_at ${T} NOT NULL,
  queued_at ${T},
  sending_at ${T},
  sent_at ${T},
  delivered_at ${T},
  read_at ${T},
  failed_at ${T},
  cancelled_at ${T}
);
-- Inbound dedupe: a platform delivers the same message id more than once, maybe to two daemons.
CREATE UNIQUE INDEX messages_inbound_dedupe ON messages (channel, platform_message_id)
  WHERE direction = 'in' AND platform_message_id IS NOT NULL;
CREATE INDEX messages_platform_id ON messages (channel, platform_message_id)
  WHERE platform_message_id IS NOT NULL;
CREATE INDEX messages_email_id ON messages (email_message_id) WHERE email_message_id IS NOT NULL;
CREATE INDEX messages_thread ON messages (thread_id, seq);
CREATE INDEX messages_contact ON messages (contact_id, created_at, seq);
CREATE INDEX messages_channel_out ON messages (channel, created_at) WHERE direction = 'out';
CREATE INDEX messages_bulk ON messages (bulk_id) WHERE bulk_id IS NOT NULL;

-- Metadata; the bytes are in blobs.
-- seq keeps insertion order (SQLite lists a message's attachments by rowid).
CREATE TABLE attachments (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id ${T} PRIMARY KEY,
  message_id ${T} REFERENCES messages (id),
  sha256 text NOT NULL,
  filename text NOT NULL,
  content_type text NOT NULL,
  size integer NOT NULL,
  created_at ${T} NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

-- Attachment bytes, content-addressed: the same file stored twice is one row, and every daemon
-- reads what any other wrote (SQLite keeps them as files in the data folder).
CREATE TABLE blobs (
  sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size integer NOT NULL,
  data bytea NOT NULL,
  created_at ${T} NOT NULL
);

-- A job is leasable once greatest(due_at, lease_until) <= now: an expired lease is simply due
-- again (a daemon killed mid-send loses nothing), and the lease query is one index range.
CREATE TABLE outbox (
  job_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id ${T} NOT NULL REFERENCES messages (id),
  channel text NOT NULL,
  recipient_key text NOT NULL,
  due_at double precision NOT NULL,
  lease_until double precision NOT NULL DEFAULT 0,
  attempts integer NOT NULL DEFAULT 0
);
CREATE INDEX outbox_ready ON outbox (greatest(due_at, lease_until));
CREATE INDEX outbox_message ON outbox (message_id);

CREATE TABLE idempotency (
  key_id text NOT NULL,
  key text NOT NULL,
  body_hash text NOT NULL,
  status integer NOT NULL,
  response text NOT NULL,
  created_at ${T} NOT NULL,
  PRIMARY KEY (key_id, key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);

CREATE TABLE webhook_outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id text NOT NULL,
  target text NOT NULL,
  payload text NOT NULL,
  due_at double precision NOT NULL,
  lease_until double precision NOT NULL DEFAULT 0,
  attempts integer NOT NULL DEFAULT 0
);
CREATE INDEX webhook_outbox_ready ON webhook_outbox (greatest(due_at, lease_until));

CREATE TABLE kv (
  scope text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (scope, key)
);
`

export const initial: PgMigration = { version: 1, name: 'initial', up: SQL }
