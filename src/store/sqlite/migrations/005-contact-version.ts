/**
 * Migration 5: the contact's version (DESIGN §10), the optimistic guard of accept. Every write
 * that may change where a send to the contact lands (a thread created, reopened, closed, snoozed
 * or woken) moves it; a send decided on facts read at an older version is decided again.
 */
import type { Migration } from '../migrate.js'

const SQL = `ALTER TABLE contacts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;`

export const contactVersion: Migration = { version: 5, name: 'contact-version', up: SQL }
