/**
 * Migration 7, PostgreSQL: consent, as `sqlite/migrations/007-consent.ts` (current state per
 * contact and channel, and the history of changes with their sources).
 */
import type { PgMigration } from '../migrate.js'

/** Text ordered by its bytes: ids (ULIDs), ISO times. */
const T = 'text COLLATE "C"'

const SQL = `
CREATE TABLE consent (
  contact_id ${T} NOT NULL,
  channel ${T} NOT NULL,
  status text NOT NULL,
  at ${T} NOT NULL,
  source_kind text NOT NULL,
  source_id text,
  source_text text,
  PRIMARY KEY (contact_id, channel)
);
CREATE INDEX consent_opted_out ON consent (channel, contact_id) WHERE status = 'opted_out';

CREATE TABLE consent_history (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id ${T} PRIMARY KEY,
  contact_id ${T} NOT NULL,
  channel ${T} NOT NULL,
  status text NOT NULL,
  at ${T} NOT NULL,
  source_kind text NOT NULL,
  source_id text,
  source_text text
);
CREATE INDEX consent_history_contact ON consent_history (contact_id, seq);
`

export const consent: PgMigration = { version: 7, name: 'consent', up: SQL }
