/**
 * Migration 11: automation firings (DESIGN §14). One row per automation and trigger (an inbound
 * message, a web chat visit, a thread's silence period …): the primary key makes a trigger seen
 * twice — a redelivered live event, a restart — fire once, and `once_per` reads the contact's
 * latest firing of the automation. `skipped_code` is set when the send was refused (never retried;
 * a refusal does not count for `once_per`). No foreign key: an erased contact's rows are deleted
 * with it (erase-rows.ts), and a firing outlives its thread's deletion harmlessly.
 */
import type { Migration } from '../migrate.js'

const SQL = `CREATE TABLE automation_firings (
  automation TEXT NOT NULL,
  trigger_key TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  thread_id TEXT,
  fired_at TEXT NOT NULL,
  skipped_code TEXT,
  PRIMARY KEY (automation, trigger_key)
) WITHOUT ROWID;
CREATE INDEX automation_firings_contact ON automation_firings (automation, contact_id, fired_at);`

export const automations: Migration = { version: 11, name: 'automations', up: SQL }
