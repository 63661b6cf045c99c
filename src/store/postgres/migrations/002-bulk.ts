/**
 * Migration 2, PostgreSQL: bulk sends, as `sqlite/migrations/002-bulk.ts`. The recipient snapshot
 * is stored in pages of contact ids (a JSON array per page); the outbox gains a priority so
 * single sends are leased before bulk jobs due at the same time.
 */
import type { PgMigration } from '../migrate.js'

const T = 'text COLLATE "C"'

const SQL = `
CREATE TABLE bulks (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id ${T} PRIMARY KEY,
  channel text NOT NULL,
  status text NOT NULL CONSTRAINT bulks_status_check
    CHECK (status IN ('running', 'done', 'cancelled')),
  author_kind text NOT NULL,
  author_id text,
  spec json NOT NULL,
  total integer NOT NULL,
  checked integer NOT NULL DEFAULT 0,
  eligible integer NOT NULL DEFAULT 0,
  skipped json NOT NULL DEFAULT '{}',
  next_due_at double precision NOT NULL DEFAULT 0,
  created_at ${T} NOT NULL,
  updated_at ${T} NOT NULL,
  cancelled_at ${T},
  finished_at ${T}
);
-- What the runner resumes at start-up: bulks not finished yet.
CREATE INDEX bulks_unfinished ON bulks (seq) WHERE finished_at IS NULL;

CREATE TABLE bulk_recipients (
  bulk_id ${T} NOT NULL,
  page integer NOT NULL,
  contact_ids json NOT NULL,
  PRIMARY KEY (bulk_id, page)
);

DROP INDEX messages_bulk;
CREATE INDEX messages_bulk ON messages (bulk_id, status) WHERE bulk_id IS NOT NULL;
-- Nobody gets a bulk twice, whatever happens to the cursor (or which daemon runs the chunk).
CREATE UNIQUE INDEX messages_bulk_contact ON messages (bulk_id, contact_id)
  WHERE bulk_id IS NOT NULL;

-- 0: single sends, 1: bulk.
ALTER TABLE outbox ADD COLUMN priority smallint NOT NULL DEFAULT 0;
DROP INDEX outbox_ready;
CREATE INDEX outbox_ready ON outbox (priority, greatest(due_at, lease_until));
`

export const bulk: PgMigration = { version: 2, name: 'bulk', up: SQL }
