/**
 * Migration 3: the ack watchdog (WhatsApp Web). `undelivered_after` is when a `sent` message was
 * flagged for having no delivery ack in time (null: never flagged). The partial index holds only
 * the messages the watchdog still has to look at — `sent` and not flagged — so it stays as small
 * as the number of messages in flight and each check is one range scan per channel by sent time.
 * It touches only `messages`, so it does not depend on step 2 (bulk).
 */
import type { Migration } from '../migrate.js'

const SQL = `
ALTER TABLE messages ADD COLUMN undelivered_after TEXT;
CREATE INDEX messages_awaiting_ack ON messages (channel, status, sent_at)
  WHERE status = 'sent' AND undelivered_after IS NULL;
`

export const undelivered: Migration = { version: 3, name: 'undelivered', up: SQL }
