/**
 * Migration 4: a bulk can end `failed` (its stored job cannot be read, `corrupt_record`), with
 * the error that ended it. SQLite cannot widen a CHECK in place, so the table is rebuilt with the
 * same rows, sequence numbers and index; nothing references it by foreign key.
 */
import type { Migration } from '../migrate.js'

const SQL = `
CREATE TABLE bulks_v4 (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'failed')),
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
  finished_at TEXT,
  error_code TEXT,
  error_message TEXT
);
INSERT INTO bulks_v4 (seq, id, channel, status, author_kind, author_id, spec, total, checked,
    eligible, skipped, next_due_at, created_at, updated_at, cancelled_at, finished_at)
  SELECT seq, id, channel, status, author_kind, author_id, spec, total, checked, eligible, skipped,
    next_due_at, created_at, updated_at, cancelled_at, finished_at FROM bulks;
DROP TABLE bulks;
ALTER TABLE bulks_v4 RENAME TO bulks;
CREATE INDEX bulks_unfinished ON bulks (seq) WHERE finished_at IS NULL;
`

export const bulkFailed: Migration = { version: 4, name: 'bulk-failed', up: SQL }
