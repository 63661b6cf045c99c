/**
 * Migration 8, PostgreSQL: data rights and dead letters, as `sqlite/migrations/008-data-rights.ts`.
 */
import type { PgMigration } from '../migrate.js'

const SQL = `
ALTER TABLE messages ADD COLUMN earlier_history text;

CREATE TABLE webhook_dead_letters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id text NOT NULL,
  target text NOT NULL,
  payload text NOT NULL,
  attempts integer NOT NULL,
  error text,
  failed_at text COLLATE "C" NOT NULL
);

CREATE TABLE erasures (
  contact_id text COLLATE "C" PRIMARY KEY,
  erased_at text COLLATE "C" NOT NULL,
  erased_by text NOT NULL
);

CREATE TABLE erased_message_counts (
  channel text NOT NULL,
  direction text NOT NULL,
  status text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (channel, direction, status)
);
`

export const dataRights: PgMigration = { version: 8, name: 'data-rights', up: SQL }
