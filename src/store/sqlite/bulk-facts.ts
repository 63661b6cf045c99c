/**
 * What the rules need about a chunk of bulk recipients, read in four queries for the whole chunk
 * (contacts, their identity on the channel, their active threads, those threads' tags). Lists of
 * ids go in as one JSON parameter (`json_each`).
 */
import type { BulkRecipientFacts } from '../types.js'
import type { Executor } from './executor.js'
import { toContact, toIdentity, toThread } from './rows.js'
import type { ContactRow, IdentitiesTable, ThreadRow } from './schema.js'

const CONTACTS = `SELECT * FROM contacts WHERE id IN (SELECT value FROM json_each(?))`
// `+channel`: look identities up by contact (a few rows each), never by channel (all of them).
const IDENTITIES = `SELECT * FROM identities
  WHERE contact_id IN (SELECT value FROM json_each(?)) AND +channel = ?`
const ACTIVE_THREADS = `SELECT * FROM threads
  WHERE contact_id IN (SELECT value FROM json_each(?)) AND status IN ('open', 'snoozed')`
const TAGS = `SELECT thread_id, tag FROM thread_tags
  WHERE thread_id IN (SELECT value FROM json_each(?)) ORDER BY tag`

export function bulkFacts(
  x: Executor,
  contactIds: readonly string[],
  channel: string,
): Map<string, BulkRecipientFacts> {
  const ids = JSON.stringify(contactIds)
  const out = new Map<string, BulkRecipientFacts>()
  for (const row of x.stmt(CONTACTS).all(ids) as ContactRow[]) {
    out.set(row.id, { contact: toContact(row), identity: null, activeThreads: [] })
  }
  for (const row of x.stmt(IDENTITIES).all(ids, channel) as IdentitiesTable[]) {
    const f = out.get(row.contact_id)
    // Oldest first, like listByContact: there is one per (contact, channel) in practice.
    if (f && (f.identity === null || row.created_at < f.identity.created_at))
      f.identity = toIdentity(row)
  }
  // Newest first, as listActiveByContact (sorted here: the index has no seq order per contact).
  const threads = (x.stmt(ACTIVE_THREADS).all(ids) as ThreadRow[]).sort((a, b) => b.seq - a.seq)
  if (threads.length === 0) return out
  const tags = new Map<string, string[]>()
  const tagRows = x.stmt(TAGS).all(JSON.stringify(threads.map((t) => t.id))) as {
    thread_id: string
    tag: string
  }[]
  for (const r of tagRows) tags.set(r.thread_id, [...(tags.get(r.thread_id) ?? []), r.tag])
  for (const t of threads)
    out.get(t.contact_id)?.activeThreads.push(toThread(t, tags.get(t.id) ?? []))
  return out
}
