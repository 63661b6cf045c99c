/**
 * Migration 11, PostgreSQL: automation firings, as `sqlite/migrations/011-automations.ts`.
 */
import type { PgMigration } from '../migrate.js'

/** Text ordered by its bytes: ids (ULIDs), ISO times. */
const T = 'text COLLATE "C"'

const SQL = `CREATE TABLE automation_firings (
  automation ${T} NOT NULL,
  trigger_key ${T} NOT NULL,
  contact_id ${T} NOT NULL,
  thread_id ${T},
  fired_at ${T} NOT NULL,
  skipped_code text,
  PRIMARY KEY (automation, trigger_key)
);
CREATE INDEX automation_firings_contact ON automation_firings (automation, contact_id, fired_at);`

export const automations: PgMigration = { version: 11, name: 'automations', up: SQL }
