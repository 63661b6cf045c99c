/**
 * Contact merge on PostgreSQL (DESIGN §15), as `sqlite/merge-rows.ts`: the rows about the person
 * move from `from` ($2) to `into` ($1) in place, and `from` stays as a row that points at its
 * survivor, its own search vector emptied (the survivor's carries its fields).
 */
import type { Sql } from './exec.js'
import { mergedSearchVector } from './search-vector.js'

/** In order; $1 is `into`, $2 is `from`. */
const MOVES = [
  `UPDATE identities SET contact_id = $1 WHERE contact_id = $2`,
  `UPDATE threads SET contact_id = $1 WHERE contact_id = $2`,
  `UPDATE thread_events SET contact_id = $1 WHERE contact_id = $2`,
  // One message per contact and bulk (messages_bulk_contact): one the survivor also got stays.
  `UPDATE messages m SET contact_id = $1 WHERE m.contact_id = $2 AND (m.bulk_id IS NULL
    OR NOT EXISTS (SELECT 1 FROM messages o WHERE o.bulk_id = m.bulk_id AND o.contact_id = $1))`,
  `UPDATE consent_history SET contact_id = $1 WHERE contact_id = $2`,
  // Consent on a channel both have: an opt-out wins, else the survivor's row.
  `DELETE FROM consent WHERE contact_id = $1 AND status = 'opted_in' AND channel IN
    (SELECT channel FROM consent WHERE contact_id = $2 AND status = 'opted_out')`,
  `DELETE FROM consent WHERE contact_id = $2 AND channel IN
    (SELECT channel FROM consent WHERE contact_id = $1)`,
  `UPDATE consent SET contact_id = $1 WHERE contact_id = $2`,
  // Chains stay one step long: whatever pointed at `from` now points at `into`.
  `UPDATE contacts SET merged_into = $1, search = ''::tsvector WHERE id = $2 OR merged_into = $2`,
]
// The contact's own row first, then the ones merged into it.
const SEARCH_FIELDS = `SELECT first_name, last_name, email, phone FROM contacts
  WHERE id = $1 OR merged_into = $1 ORDER BY merged_into IS NOT NULL, seq`
const SET_SEARCH = `UPDATE contacts SET search = $2 WHERE id = $1`
const MERGED = `SELECT id FROM contacts WHERE merged_into = $1 ORDER BY id`

type Fields = Record<'first_name' | 'last_name' | 'email' | 'phone', string | null>

export async function mergeContactRows(sql: Sql, from: string, into: string): Promise<void> {
  for (const text of MOVES) await sql.run(text, [into, from])
}

/** The search vector of the contact and the contacts merged into it. */
export async function reindexContact(sql: Sql, id: string): Promise<void> {
  const rows = await sql.rows<Fields>(SEARCH_FIELDS, [id])
  if (rows.length > 0) await sql.run(SET_SEARCH, [id, mergedSearchVector(rows)])
}

export async function mergedIds(sql: Sql, id: string): Promise<string[]> {
  return (await sql.rows<{ id: string }>(MERGED, [id])).map((r) => r.id)
}
