/**
 * Erasure of one contact on PostgreSQL (DESIGN §15), as `sqlite/erase-rows.ts`; blobs live in the
 * `blobs` table here, so the ones no attachment references any more go in the same transaction.
 */
import type { ErasedContact } from '../core/port.js'
import type { Sql } from './exec.js'

const OF_CONTACT = `SELECT id FROM messages WHERE contact_id = $1`
const COUNT = `INSERT INTO erased_message_counts AS e (channel, direction, status, n)
  SELECT channel, direction, status, count(*) FROM messages WHERE contact_id = $1
  GROUP BY channel, direction, status
  ON CONFLICT (channel, direction, status) DO UPDATE SET n = e.n + excluded.n`
const BLOBS = `SELECT DISTINCT sha256 FROM attachments WHERE message_id IN (${OF_CONTACT})`
/** In order: children before the rows they reference. `$1` is the contact id. */
const BY_CONTACT = [
  `DELETE FROM outbox WHERE message_id IN (${OF_CONTACT})`,
  `DELETE FROM attachments WHERE message_id IN (${OF_CONTACT})`,
  `DELETE FROM message_fallbacks WHERE message_id IN (${OF_CONTACT})`,
  `DELETE FROM webchat_fallback_timers WHERE contact_id = $1`,
  `DELETE FROM messages WHERE contact_id = $1`,
  `DELETE FROM thread_events WHERE contact_id = $1
    OR thread_id IN (SELECT id FROM threads WHERE contact_id = $1)`,
  `DELETE FROM thread_tags WHERE thread_id IN (SELECT id FROM threads WHERE contact_id = $1)`,
  `DELETE FROM threads WHERE contact_id = $1`,
  `DELETE FROM identities WHERE contact_id = $1`,
  `DELETE FROM consent WHERE contact_id = $1`,
  `DELETE FROM consent_history WHERE contact_id = $1`,
  `DELETE FROM contacts WHERE id = $1`,
]
/** Stored JSON that names the contact (a send's idempotent answer, app events). */
const NAMING = [
  `DELETE FROM idempotency WHERE response LIKE $1`,
  `DELETE FROM webhook_outbox WHERE payload LIKE $1`,
  `DELETE FROM webhook_dead_letters WHERE payload LIKE $1`,
]
const UNREFERENCED = `DELETE FROM blobs b WHERE b.sha256 = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = b.sha256)`
const TOMBSTONE = `INSERT INTO erasures (contact_id, erased_at, erased_by) VALUES ($1, $2, $3)`

export async function eraseContactRows(
  sql: Sql,
  id: string,
  at: string,
  by: string,
): Promise<ErasedContact> {
  const blobs = (await sql.rows<{ sha256: string }>(BLOBS, [id])).map((r) => r.sha256)
  await sql.run(COUNT, [id])
  for (const text of BY_CONTACT) await sql.run(text, [id])
  // Ids are ULIDs ([0-9a-z_]): no LIKE wildcard to escape.
  for (const text of NAMING) await sql.run(text, [`%"${id}"%`])
  if (blobs.length > 0) await sql.run(UNREFERENCED, [blobs])
  await sql.run(TOMBSTONE, [id, at, by])
  return { blobs }
}
