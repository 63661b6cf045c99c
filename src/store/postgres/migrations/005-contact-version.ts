/**
 * Migration 5, PostgreSQL: the contact's version, the optimistic guard of accept, as
 * `sqlite/migrations/005-contact-version.ts` (on PostgreSQL accept also holds the contact's row
 * lock, `SELECT … FOR UPDATE`, so two daemons sending to one person take turns).
 */
import type { PgMigration } from '../migrate.js'

const SQL = `ALTER TABLE contacts ADD COLUMN version integer NOT NULL DEFAULT 0;`

export const contactVersion: PgMigration = { version: 5, name: 'contact-version', up: SQL }
