/**
 * Erasure of one contact on SQLite (DESIGN §15), the `eraseContactRows` operation of the
 * transaction port: every row about the person goes — messages (bodies, addresses, attachments
 * rows), threads and their events, identities, queued jobs, stored idempotent answers and app
 * events that name the contact — and an `erasures` tombstone and the anonymous message counts stay.
 * The blobs the messages pointed at are returned: the store deletes those no longer referenced
 * once the transaction committed (files are not transactional).
 */
import type { ErasedContact } from '../core/port.js'
import type { Executor } from './executor.js'

const OF_CONTACT = `SELECT id FROM messages WHERE contact_id = ?`
const COUNT = `INSERT INTO erased_message_counts (channel, direction, status, n)
  SELECT channel, direction, status, count(*) FROM messages WHERE contact_id = ?
  GROUP BY channel, direction, status
  ON CONFLICT (channel, direction, status) DO UPDATE SET n = n + excluded.n`
const BLOBS = `SELECT DISTINCT sha256 FROM attachments WHERE message_id IN (${OF_CONTACT})`
/** In order: children before the rows they reference. `?` is the contact id. */
const BY_CONTACT = [
  `DELETE FROM outbox WHERE message_id IN (${OF_CONTACT})`,
  `DELETE FROM attachments WHERE message_id IN (${OF_CONTACT})`,
  `DELETE FROM message_fallbacks WHERE message_id IN (${OF_CONTACT})`,
  `DELETE FROM webchat_fallback_timers WHERE contact_id = ?`,
  `DELETE FROM messages WHERE contact_id = ?`,
  `DELETE FROM thread_events WHERE contact_id = ?
    OR thread_id IN (SELECT id FROM threads WHERE contact_id = ?)`,
  `DELETE FROM thread_tags WHERE thread_id IN (SELECT id FROM threads WHERE contact_id = ?)`,
  `DELETE FROM threads WHERE contact_id = ?`,
  `DELETE FROM identities WHERE contact_id = ?`,
  `DELETE FROM consent WHERE contact_id = ?`,
  `DELETE FROM consent_history WHERE contact_id = ?`,
  `DELETE FROM contacts WHERE id = ?`,
]
/** Stored JSON that names the contact (a send's idempotent answer, app events). */
const NAMING = [
  `DELETE FROM idempotency WHERE response LIKE ?`,
  `DELETE FROM webhook_outbox WHERE payload LIKE ?`,
  `DELETE FROM webhook_dead_letters WHERE payload LIKE ?`,
]
const TOMBSTONE = `INSERT INTO erasures (contact_id, erased_at, erased_by) VALUES (?, ?, ?)`

export function eraseContactRows(x: Executor, id: string, at: string, by: string): ErasedContact {
  const blobs = (x.stmt(BLOBS).all(id) as { sha256: string }[]).map((r) => r.sha256)
  x.stmt(COUNT).run(id)
  for (const sql of BY_CONTACT) {
    const n = (sql.match(/\?/g) ?? []).length
    x.stmt(sql).run(...Array<string>(n).fill(id))
  }
  // Ids are ULIDs ([0-9a-z_]): no LIKE wildcard to escape.
  for (const sql of NAMING) x.stmt(sql).run(`%"${id}"%`)
  x.stmt(TOMBSTONE).run(id, at, by)
  return { blobs }
}
