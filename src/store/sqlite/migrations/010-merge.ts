/**
 * Migration 10: contact merge (DESIGN §15). `contacts.merged_into` names the contact a merged one
 * went into (`POST /v1/contacts/{id}/merge`): the row stays, hidden from lists and search, so a
 * read of its id answers 301 with the survivor and a write to it acts on the survivor. Chains are
 * flattened at each merge (A into B, then B into C: A points at C). The index serves the survivor's
 * search text (its merged contacts' fields) and erasure (the merged rows go with the survivor).
 */
import type { Migration } from '../migrate.js'

const SQL = `
ALTER TABLE contacts ADD COLUMN merged_into TEXT;
CREATE INDEX contacts_merged_into ON contacts (merged_into) WHERE merged_into IS NOT NULL;
`

export const merge: Migration = { version: 10, name: 'merge', up: SQL }
