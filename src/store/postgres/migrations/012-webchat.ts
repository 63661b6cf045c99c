/**
 * Migration 12, PostgreSQL: the web chat fallback timers and records, and the index of a contact's
 * messages on one channel, as `sqlite/migrations/012-webchat.ts`.
 */
import type { PgMigration } from '../migrate.js'

const SQL = `CREATE TABLE webchat_fallback_timers (
  message_id text COLLATE "C" NOT NULL,
  kind text NOT NULL CHECK (kind IN ('push', 'email')),
  channel text NOT NULL,
  contact_id text COLLATE "C" NOT NULL,
  due_at text COLLATE "C" NOT NULL,
  PRIMARY KEY (message_id, kind)
);
CREATE INDEX webchat_fallback_timers_due ON webchat_fallback_timers (due_at);
CREATE TABLE message_fallbacks (
  message_id text COLLATE "C" NOT NULL,
  kind text NOT NULL CHECK (kind IN ('push', 'email')),
  at text COLLATE "C" NOT NULL,
  fallback_message_id text,
  error_code text,
  error_message text,
  PRIMARY KEY (message_id, kind)
);
CREATE INDEX messages_contact_channel ON messages (contact_id, channel, id);`

export const webchat: PgMigration = { version: 12, name: 'webchat', up: SQL }
