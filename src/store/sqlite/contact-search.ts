/**
 * Contact search (DESIGN §8, P4). With a text query it reads the FTS5 index, whose rowid is the
 * contact's recency seq, newest first: `MATCH … ORDER BY rowid DESC LIMIT n` stops after n hits.
 * Without one it walks contacts by seq. Thread filters apply through the contact's threads; all of
 * them to the same thread ("open and assigned to me" is one thread that is both).
 */
import { sql, type CompiledQuery, type Expression, type SqlBool } from 'kysely'
import type { ContactSearch } from '../types.js'
import { qb, type Executor } from './executor.js'
import type { ContactRow } from './schema.js'
import { matchQuery } from './search-text.js'

export type SearchFilter = Omit<ContactSearch, 'limit' | 'cursor'>

/** Contacts matching the filter with seq below `before`, newest activity first, at most `limit`. */
export function searchContactRows(
  x: Executor,
  f: SearchFilter,
  limit: number,
  before?: number,
): ContactRow[] {
  return x.all<ContactRow>(searchQuery(f, limit, before, 'rows'))
}

/** Only the ids (bulk sends), same order. */
export function searchContactIds(x: Executor, f: SearchFilter, limit: number): string[] {
  return x.all<{ id: string }>(searchQuery(f, limit, undefined, 'ids')).map((r) => r.id)
}

/**
 * The compiled search (exported for EXPLAIN QUERY PLAN in tests).
 * @internal exported for its tests
 */
export function searchQuery(
  f: SearchFilter,
  limit: number,
  before: number | undefined,
  pick: 'rows' | 'ids',
): CompiledQuery {
  const match = matchQuery(f.q)
  const threads = threadFilter(f)
  if (match !== null) {
    // Driven by the FTS table (rowid order and range), joined to contacts by primary key.
    let q = qb
      .selectFrom('contacts_fts as f')
      .innerJoin('contacts as c', 'c.seq', 'f.rowid')
      .where(sql<SqlBool>`f.contacts_fts MATCH ${match}`)
      .where('c.merged_into', 'is', null)
      .orderBy('f.rowid', 'desc')
      .limit(limit)
    if (before !== undefined) q = q.where('f.rowid', '<', before)
    if (threads) q = q.where(threads)
    return pick === 'ids' ? q.select('c.id').compile() : q.selectAll('c').compile()
  }
  // Merged contacts are found through their survivor only (DESIGN §15).
  let q = qb
    .selectFrom('contacts as c')
    .where('c.merged_into', 'is', null)
    .orderBy('c.seq', 'desc')
    .limit(limit)
  if (before !== undefined) q = q.where('c.seq', '<', before)
  if (threads) q = q.where(threads)
  return pick === 'ids' ? q.select('c.id').compile() : q.selectAll('c').compile()
}

/** EXISTS a thread of contact `c` passing every thread filter; undefined when there are none. */
function threadFilter(f: SearchFilter): Expression<SqlBool> | undefined {
  if (!f.thread_status && !f.assignee && !f.tag && !f.channel) return undefined
  let t = qb
    .selectFrom('threads as t')
    .select(sql`1`.as('one'))
    .where('t.contact_id', '=', sql.ref<string>('c.id'))
  if (f.thread_status) t = t.where('t.status', '=', f.thread_status)
  if (f.assignee === 'unassigned') t = t.where('t.assignee', 'is', null)
  else if (f.assignee) t = t.where('t.assignee', '=', f.assignee)
  if (f.channel) t = t.where('t.channel', '=', f.channel)
  if (f.tag) {
    const tagged = qb
      .selectFrom('thread_tags as g')
      .select('g.tag')
      .where('g.thread_id', '=', sql.ref<string>('t.id'))
      .where('g.tag', '=', f.tag)
    t = t.where(sql<SqlBool>`EXISTS ${tagged}`)
  }
  return sql<SqlBool>`EXISTS ${t}` // kysely parenthesises a subquery
}
