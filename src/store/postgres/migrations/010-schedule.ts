/**
 * Migration 10, PostgreSQL: `messages.send_at` and `contacts.timezone`, as
 * `sqlite/migrations/010-schedule.ts`.
 */
import type { PgMigration } from '../migrate.js'

const SQL = `ALTER TABLE messages ADD COLUMN send_at text COLLATE "C";
ALTER TABLE contacts ADD COLUMN timezone text;`

export const schedule: PgMigration = { version: 10, name: 'schedule', up: SQL }
