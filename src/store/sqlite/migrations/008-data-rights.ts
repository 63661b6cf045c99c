/**
 * Migration 8: data rights and dead letters (DESIGN §15).
 * - `messages.earlier_history`: an operator retry (`POST /v1/messages/{id}/retry`) sends the
 *   message again under the same id; the status times of the tries before it are kept here (JSON
 *   `[{status, at}]`) so the message's status history still shows them.
 * - `webhook_dead_letters`: app-webhook deliveries that used up their retries, kept for
 *   `GET /v1/webhooks/deliveries?status=failed` and replay (they used to be dropped).
 * - `erasures`: the tombstone of each erased contact (`DELETE /v1/contacts/{id}`): its id, when and
 *   which key — nothing about the person. `erased_message_counts` keeps the anonymous counts of
 *   the messages erased with it (per channel, direction and status).
 */
import type { Migration } from '../migrate.js'

const SQL = `
ALTER TABLE messages ADD COLUMN earlier_history TEXT;

-- AUTOINCREMENT: a replayed (deleted) dead letter's id is never given to another one.
CREATE TABLE webhook_dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL,
  target TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  error TEXT,
  failed_at TEXT NOT NULL
);

CREATE TABLE erasures (
  contact_id TEXT PRIMARY KEY,
  erased_at TEXT NOT NULL,
  erased_by TEXT NOT NULL
);

CREATE TABLE erased_message_counts (
  channel TEXT NOT NULL,
  direction TEXT NOT NULL,
  status TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (channel, direction, status)
);
`

export const dataRights: Migration = { version: 8, name: 'data-rights', up: SQL }
