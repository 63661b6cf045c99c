/**
 * Contact search on PostgreSQL (DESIGN §8 P4, §10), the same answers as SQLite's FTS5 search:
 * `q` as search-vector.ts turns it into a tsquery, matched with `@@` against `contacts.search`
 * (GIN; prefix terms use it too), newest activity first by the recency `seq`. The planner picks
 * between the GIN bitmap (rare terms, then a top-n sort) and walking the seq index newest first
 * with the match as a filter (common prefixes: it stops after `limit` hits, as FTS5's rowid walk
 * does). Thread filters apply through one thread of the contact, as on SQLite.
 */
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely'
import type { ContactSearch } from '../types.js'
import type { PgSchema } from './schema.js'
import { searchQuery } from './search-vector.js'

export type SearchFilter = Omit<ContactSearch, 'limit' | 'cursor'>

/** A contact row as search returns it (the tsvector left out). */
export type PgContactRow = Omit<PgSchema['contacts'], 'seq' | 'version' | 'search'> & {
  seq: number
  version: number
}

const CONTACT_COLUMNS = [
  'c.id',
  'c.seq',
  'c.first_name',
  'c.last_name',
  'c.email',
  'c.phone',
  'c.external_id',
  'c.attributes',
  'c.blocked',
  'c.created_at',
  'c.updated_at',
  'c.last_activity_at',
  'c.version',
] as const

function baseQuery(db: Kysely<PgSchema>, f: SearchFilter, limit: number, before?: number) {
  const tsquery = searchQuery(f.q)
  // Merged contacts are found through their survivor only (DESIGN §15).
  let q = db
    .selectFrom('contacts as c')
    .where('c.merged_into', 'is', null)
    .orderBy('c.seq', 'desc')
    .limit(limit)
  if (tsquery !== null) q = q.where(sql<SqlBool>`c.search @@ ${tsquery}::tsquery`)
  if (before !== undefined) q = q.where('c.seq', '<', before)
  const threads = threadFilter(db, f)
  if (threads) q = q.where(threads)
  return q
}

/** Contacts matching the filter with seq below `before`, newest activity first, at most `limit`. */
export async function searchContactRows(
  db: Kysely<PgSchema>,
  f: SearchFilter,
  limit: number,
  before?: number,
): Promise<PgContactRow[]> {
  return baseQuery(db, f, limit, before).select(CONTACT_COLUMNS).execute()
}

/** Only the ids (bulk sends), same order. */
export async function searchContactIds(
  db: Kysely<PgSchema>,
  f: SearchFilter,
  limit: number,
): Promise<string[]> {
  const rows = await baseQuery(db, f, limit).select('c.id').execute()
  return rows.map((r) => r.id)
}

/** EXISTS a thread of contact `c` passing every thread filter; undefined when there are none. */
function threadFilter(db: Kysely<PgSchema>, f: SearchFilter): Expression<SqlBool> | undefined {
  if (!f.thread_status && !f.assignee && !f.tag && !f.channel) return undefined
  let t = db
    .selectFrom('threads as t')
    .select(sql`1`.as('one'))
    .where('t.contact_id', '=', sql.ref<string>('c.id'))
  if (f.thread_status) t = t.where('t.status', '=', f.thread_status)
  if (f.assignee === 'unassigned') t = t.where('t.assignee', 'is', null)
  else if (f.assignee) t = t.where('t.assignee', '=', f.assignee)
  if (f.channel) t = t.where('t.channel', '=', f.channel)
  if (f.tag) {
    const tagged = db
      .selectFrom('thread_tags as g')
      .select('g.tag')
      .where('g.thread_id', '=', sql.ref<string>('t.id'))
      .where('g.tag', '=', f.tag)
    t = t.where(sql<SqlBool>`EXISTS ${tagged}`)
  }
  return sql<SqlBool>`EXISTS ${t}`
}
