/**
 * Migration 3, PostgreSQL: the ack watchdog's flag, as `sqlite/migrations/003-undelivered.ts`;
 * the partial index holds only the `sent`, unflagged messages the watchdog still looks at.
 */
import type { PgMigration } from '../migrate.js'

const SQL = `
ALTER TABLE messages ADD COLUMN undelivered_after text COLLATE "C";
CREATE INDEX messages_awaiting_ack ON messages (channel, status, sent_at)
  WHERE status = 'sent' AND undelivered_after IS NULL;
`

export const undelivered: PgMigration = { version: 3, name: 'undelivered', up: SQL }
