/**
 * Migration 9: data rights and dead letters (DESIGN §15).
 * - `messages.earlier_history`: an operator retry (`POST /v1/messages/{id}/retry`) sends the
 *   message again under the same id; the status times of the tries before it are kept here (JSON
 *   `[{status, at}]`) so the message's status history still shows them.
 * - `webhook_dead_letters`: app-webhook deliveries that used up their retries, kept for
 *   `GET /v1/webhooks/deliveries?status=failed` and replay (they used to be dropped).
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
`

export const dataRights: Migration = { version: 9, name: 'data-rights', up: SQL }
