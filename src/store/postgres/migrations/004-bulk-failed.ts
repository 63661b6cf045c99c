/**
 * Migration 4, PostgreSQL: a bulk can end `failed` with the error that ended it, as
 * `sqlite/migrations/004-bulk-failed.ts`. PostgreSQL widens the CHECK in place (SQLite rebuilds).
 */
import type { PgMigration } from '../migrate.js'

const SQL = `
ALTER TABLE bulks DROP CONSTRAINT bulks_status_check;
ALTER TABLE bulks ADD CONSTRAINT bulks_status_check
  CHECK (status IN ('running', 'done', 'cancelled', 'failed'));
ALTER TABLE bulks ADD COLUMN error_code text, ADD COLUMN error_message text;
`

export const bulkFailed: PgMigration = { version: 4, name: 'bulk-failed', up: SQL }
