/**
 * Migration 9, PostgreSQL: `messages.send_at` and `contacts.timezone`, as
 * `sqlite/migrations/009-schedule.ts`.
 */
import type { PgMigration } from '../migrate.js'

const SQL = `ALTER TABLE messages ADD COLUMN send_at text COLLATE "C";
ALTER TABLE contacts ADD COLUMN timezone text;`

export const schedule: PgMigration = { version: 9, name: 'schedule', up: SQL }
