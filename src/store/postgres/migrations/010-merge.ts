/**
 * Migration 10, PostgreSQL: contact merge, as `sqlite/migrations/010-merge.ts`.
 */
import type { PgMigration } from '../migrate.js'

const SQL = `
ALTER TABLE contacts ADD COLUMN merged_into text COLLATE "C";
CREATE INDEX contacts_merged_into ON contacts (merged_into) WHERE merged_into IS NOT NULL;
`

export const merge: PgMigration = { version: 10, name: 'merge', up: SQL }
