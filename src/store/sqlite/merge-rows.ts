/**
 * Contact merge on SQLite (DESIGN §15), the `mergeContactRows` operation of the transaction port:
 * the rows about the person move from `from` to `into` in place (ids kept, so links, signed
 * attachment URLs and app events that name them still hold), and `from` stays as a row that
 * points at its survivor.
 */
import type { ContactWriter } from './contact-writer.js'
import type { Executor } from './executor.js'

/** In order. */
const MOVES = [
  `UPDATE identities SET contact_id = @into WHERE contact_id = @from`,
  `UPDATE threads SET contact_id = @into WHERE contact_id = @from`,
  `UPDATE thread_events SET contact_id = @into WHERE contact_id = @from`,
  // One message per contact and bulk (messages_bulk_contact): one the survivor also got stays.
  `UPDATE messages SET contact_id = @into WHERE contact_id = @from AND (bulk_id IS NULL
    OR NOT EXISTS (SELECT 1 FROM messages o WHERE o.bulk_id = messages.bulk_id
      AND o.contact_id = @into))`,
  `UPDATE consent_history SET contact_id = @into WHERE contact_id = @from`,
]
/** Consent on a channel both have: an opt-out wins, else the survivor's row. */
const CONSENT = [
  `DELETE FROM consent WHERE contact_id = @into AND status = 'opted_in' AND channel IN
    (SELECT channel FROM consent WHERE contact_id = @from AND status = 'opted_out')`,
  `DELETE FROM consent WHERE contact_id = @from AND channel IN
    (SELECT channel FROM consent WHERE contact_id = @into)`,
  `UPDATE consent SET contact_id = @into WHERE contact_id = @from`,
]
/** Chains stay one step long: whatever pointed at `from` now points at `into`. */
const POINT = `UPDATE contacts SET merged_into = @into WHERE id = @from OR merged_into = @from`
const MERGED = `SELECT id FROM contacts WHERE merged_into = ? ORDER BY id`

export function mergeContactRows(
  x: Executor,
  contacts: ContactWriter,
  from: string,
  into: string,
): void {
  for (const sql of [...MOVES, ...CONSENT]) x.stmt(sql).run({ into, from })
  contacts.unindex(from)
  x.stmt(POINT).run({ into, from })
}

export function mergedIds(x: Executor, id: string): string[] {
  return (x.stmt(MERGED).all(id) as { id: string }[]).map((r) => r.id)
}
