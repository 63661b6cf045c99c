/**
 * Migration 7: consent (DESIGN §15). `consent` holds each contact's current state per channel
 * (only rows that were ever set: no row means opted in by default), read by every send's check
 * 3b; `consent_history` every change in order, with its source, for `GET …/consent`.
 */
import type { Migration } from '../migrate.js'

const SQL = `
CREATE TABLE consent (
  contact_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL,
  at TEXT NOT NULL,
  source_kind TEXT NOT NULL,
  source_id TEXT,
  source_text TEXT,
  PRIMARY KEY (contact_id, channel)
);
CREATE INDEX consent_opted_out ON consent (channel, contact_id) WHERE status = 'opted_out';

CREATE TABLE consent_history (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  contact_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL,
  at TEXT NOT NULL,
  source_kind TEXT NOT NULL,
  source_id TEXT,
  source_text TEXT
);
CREATE INDEX consent_history_contact ON consent_history (contact_id, seq);
`

export const consent: Migration = { version: 7, name: 'consent', up: SQL }
