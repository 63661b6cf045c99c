/**
 * Migration 12: web chat (DESIGN §12). `webchat_fallback_timers` holds each outbound web chat
 * message's pending offline fallbacks (a push soon after it went out unseen, an email copy after
 * `fallback.after`), durable so they survive a restart and run by the scheduler's one daemon;
 * reading the message removes them. `message_fallbacks` records what each fallback did (the
 * message it sent on its own channel, or its refusal), shown on the message. The index serves a
 * visitor's history and a stream's resume (a contact's messages on one channel, by id).
 */
import type { Migration } from '../migrate.js'

const SQL = `CREATE TABLE webchat_fallback_timers (
  message_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('push', 'email')),
  channel TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  due_at TEXT NOT NULL,
  PRIMARY KEY (message_id, kind)
);
CREATE INDEX webchat_fallback_timers_due ON webchat_fallback_timers (due_at);
CREATE TABLE message_fallbacks (
  message_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('push', 'email')),
  at TEXT NOT NULL,
  fallback_message_id TEXT,
  error_code TEXT,
  error_message TEXT,
  PRIMARY KEY (message_id, kind)
);
CREATE INDEX messages_contact_channel ON messages (contact_id, channel, id);`

export const webchat: Migration = { version: 12, name: 'webchat', up: SQL }
