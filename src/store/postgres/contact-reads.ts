/**
 * Contact and identity reads on PostgreSQL: by id, by external id, search pages (cursor: the last
 * item's recency seq, as on SQLite), and the facts a bulk chunk's rules need (four queries for the
 * whole chunk).
 */
import type { Kysely } from 'kysely'
import { encodeCursor, seqCursor } from '../sqlite/cursor.js'
import type {
  BulkRecipientFacts,
  ContactRecord,
  ContactSearch,
  IdentityRecord,
  IdempotencyKey,
  Page,
  RecipientRead,
  StoredIdempotency,
} from '../types.js'
import { searchContactIds, searchContactRows, type SearchFilter } from './contact-search.js'
import type { Sql } from './exec.js'
import { IDEMPOTENCY_GET } from './message-rows.js'
import { byContact } from '../sqlite/identity-repo.js'
import { CONTACT_COLUMNS, toContact, toIdentity, toThread } from './rows.js'
import type { PgContactRow, PgIdentityRow, PgThreadRow } from './rows.js'
import type { PgSchema } from './schema.js'

// A send's reads (`recipientRead`): the contact with the channels it opted out of, and its
// active threads each with its tags — two statements where five tables are read.
const RECIPIENT_CONTACT = `SELECT ${CONTACT_COLUMNS}, ARRAY(SELECT channel FROM consent
  WHERE contact_id = $1 AND status = 'opted_out' ORDER BY channel) AS opted_out
  FROM contacts WHERE id = $1`
const RECIPIENT_THREADS = `SELECT t.*, ARRAY(SELECT tag FROM thread_tags g WHERE g.thread_id = t.id
  ORDER BY tag) AS tags FROM threads t WHERE contact_id = $1 AND status IN ('open', 'snoozed')
  ORDER BY seq DESC`
const BY_EXTERNAL_ID = `SELECT ${CONTACT_COLUMNS} FROM contacts WHERE external_id = $1`
// Ties (identities created together) by id: ids are monotonic, so in the order they were made.
const IDENTITIES_OF = `SELECT * FROM identities WHERE contact_id = $1 ORDER BY created_at, id`
const IDENTITIES_OF_MANY = `SELECT * FROM identities WHERE contact_id = ANY($1)
  ORDER BY created_at, id`
const FACT_CONTACTS = `SELECT ${CONTACT_COLUMNS} FROM contacts WHERE id = ANY($1)`
const FACT_IDENTITIES = `SELECT * FROM identities WHERE contact_id = ANY($1) AND channel = $2`
const FACT_THREADS = `SELECT * FROM threads WHERE contact_id = ANY($1)
  AND status IN ('open', 'snoozed') ORDER BY seq DESC`
const FACT_TAGS = `SELECT thread_id, tag FROM thread_tags WHERE thread_id = ANY($1) ORDER BY tag`

export async function contactByExternalId(
  sql: Sql,
  externalId: string,
): Promise<ContactRecord | null> {
  const row = await sql.one<PgContactRow>(BY_EXTERNAL_ID, [externalId])
  return row ? toContact(row) : null
}

/** Newest activity first; the cursor is the last item's recency seq. */
export async function searchContacts(
  db: Kysely<PgSchema>,
  s: ContactSearch,
): Promise<Page<ContactRecord>> {
  const before = seqCursor(s.cursor)
  if (before === null) return { items: [], next_cursor: null }
  const rows = await searchContactRows(db, s, s.limit + 1, before)
  const page = rows.slice(0, s.limit)
  const last = page[page.length - 1]
  return {
    items: page.map(toContact),
    next_cursor: rows.length > s.limit && last ? encodeCursor(last.seq) : null,
  }
}

export function searchIds(db: Kysely<PgSchema>, s: SearchFilter, max: number): Promise<string[]> {
  return searchContactIds(db, s, max)
}

export async function identitiesOf(sql: Sql, contactId: string): Promise<IdentityRecord[]> {
  return (await sql.rows<PgIdentityRow>(IDENTITIES_OF, [contactId])).map(toIdentity)
}

export async function identitiesOfMany(
  sql: Sql,
  contactIds: readonly string[],
): Promise<Map<string, IdentityRecord[]>> {
  if (contactIds.length === 0) return new Map()
  return byContact(
    (await sql.rows<PgIdentityRow>(IDENTITIES_OF_MANY, [[...contactIds]])).map(toIdentity),
  )
}

/** `Store.contacts.recipient`: three statements (four with a key) in one round trip. */
export async function recipientRead(
  sql: Pick<Sql, 'many'>,
  id: string,
  key: IdempotencyKey | undefined,
): Promise<RecipientRead> {
  const results = await sql.many([
    [RECIPIENT_CONTACT, [id]],
    [IDENTITIES_OF, [id]],
    [RECIPIENT_THREADS, [id]],
    ...(key ? [[IDEMPOTENCY_GET, [key.keyId, key.key]] as const] : []),
  ])
  const [contacts, identities, threads, idempotency] = results as [
    (PgContactRow & { opted_out: string[] })[],
    PgIdentityRow[],
    (PgThreadRow & { tags: string[] })[],
    StoredIdempotency[] | undefined,
  ]
  const stored = idempotency?.[0] ?? null
  const contact = contacts[0]
  if (!contact) return { contact: null, stored, identities: [], activeThreads: [], optedOut: [] }
  return {
    contact: toContact(contact),
    stored,
    identities: identities.map(toIdentity),
    activeThreads: threads.map(({ tags, ...t }) => toThread(t, tags)),
    optedOut: contact.opted_out,
  }
}

export async function bulkFacts(
  sql: Sql,
  contactIds: readonly string[],
  channel: string,
): Promise<Map<string, BulkRecipientFacts>> {
  const ids = [...contactIds]
  const out = new Map<string, BulkRecipientFacts>()
  for (const row of await sql.rows<PgContactRow>(FACT_CONTACTS, [ids])) {
    out.set(row.id, { contact: toContact(row), identity: null, activeThreads: [] })
  }
  for (const row of await sql.rows<PgIdentityRow>(FACT_IDENTITIES, [ids, channel])) {
    const f = out.get(row.contact_id)
    // Oldest first, like listByContact: there is one per (contact, channel) in practice.
    if (f && (f.identity === null || row.created_at < f.identity.created_at))
      f.identity = toIdentity(row)
  }
  const threads = await sql.rows<PgThreadRow>(FACT_THREADS, [ids])
  if (threads.length === 0) return out
  const tags = new Map<string, string[]>()
  const tagRows = await sql.rows<{ thread_id: string; tag: string }>(FACT_TAGS, [
    threads.map((t) => t.id),
  ])
  for (const r of tagRows) tags.set(r.thread_id, [...(tags.get(r.thread_id) ?? []), r.tag])
  for (const t of threads)
    out.get(t.contact_id)?.activeThreads.push(toThread(t, tags.get(t.id) ?? []))
  return out
}
