/**
 * Migration 9, PostgreSQL: data rights and dead letters, as `sqlite/migrations/009-data-rights.ts`.
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
`

export const dataRights: PgMigration = { version: 9, name: 'data-rights', up: SQL }
