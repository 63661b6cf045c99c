/**
 * Migration 9: scheduled sends and send windows (DESIGN §14). `messages.send_at` is when a held
 * message goes out (the caller's `send_at`, or a send window's next opening): the dispatcher
 * checks the rules again for such a message when it leases its job. `contacts.timezone` is the
 * contact's IANA zone, which a `send_window` with `timezone: contact` uses.
 */
import type { Migration } from '../migrate.js'

const SQL = `ALTER TABLE messages ADD COLUMN send_at TEXT;
ALTER TABLE contacts ADD COLUMN timezone TEXT;`

export const schedule: Migration = { version: 9, name: 'schedule', up: SQL }
