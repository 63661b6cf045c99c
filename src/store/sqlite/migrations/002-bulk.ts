/**
 * Migration 2: bulk sends (DESIGN §1.6, §3). A bulk is a row with its progress; its recipients are
 * a snapshot of contact ids taken when it was created, stored in pages so that a 100 000-recipient
 * job is written in a few milliseconds and read back one page per chunk. The outbox gains a
 * priority so single sends are leased before bulk jobs that are due at the same time.
 */
import type { Migration } from '../migrate.js'

const SQL = `
-- checked is the resume cursor: recipients [0, checked) of the snapshot have been evaluated and
-- their messages (or skip counts) committed in the same transaction that moved it.
-- next_due_at (ms) is when this bulk's next message is scheduled: a resumed bulk keeps its pace.
CREATE TABLE bulks (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled')),
  author_kind TEXT NOT NULL,
  author_id TEXT,
  spec TEXT NOT NULL,
  total INTEGER NOT NULL,
  checked INTEGER NOT NULL DEFAULT 0,
  eligible INTEGER NOT NULL DEFAULT 0,
  skipped TEXT NOT NULL DEFAULT '{}',
  next_due_at INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  cancelled_at TEXT,
  finished_at TEXT
);
-- What the runner resumes at start-up: bulks not finished yet (few rows, never a scan of all).
CREATE INDEX bulks_unfinished ON bulks (seq) WHERE finished_at IS NULL;

-- The recipient snapshot: page n holds the contact ids at positions [n * size, (n + 1) * size)
-- as a JSON array. Deleted when the bulk finishes.
CREATE TABLE bulk_recipients (
  bulk_id TEXT NOT NULL,
  page INTEGER NOT NULL,
  contact_ids TEXT NOT NULL,
  PRIMARY KEY (bulk_id, page)
) WITHOUT ROWID;

-- Progress counts per status, and "is anything still queued or sending", from the index alone.
DROP INDEX messages_bulk;
CREATE INDEX messages_bulk ON messages (bulk_id, status) WHERE bulk_id IS NOT NULL;
-- Nobody gets a bulk twice, whatever happens to the cursor: a replayed chunk cannot insert.
CREATE UNIQUE INDEX messages_bulk_contact ON messages (bulk_id, contact_id)
  WHERE bulk_id IS NOT NULL;

-- 0: single sends, 1: bulk. The lease takes each priority's due jobs in turn, each one range of
-- this index.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
DROP INDEX outbox_ready;
CREATE INDEX outbox_ready ON outbox (priority, max(due_at, lease_until));
`

export const bulk: Migration = { version: 2, name: 'bulk', up: SQL }
