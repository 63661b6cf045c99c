/**
 * Contact reads: by id, by external id, search (writes go through the core and the port).
 */
import type { ContactRecord, ContactSearch, Page } from '../types.js'
import { searchContactIds, searchContactRows, type SearchFilter } from './contact-search.js'
import { encodeCursor, seqCursor } from './cursor.js'
import { qb, type Executor } from './executor.js'
import { toContact } from './rows.js'
import type { ContactRow } from './schema.js'

// The hot reads (every send reads its contact): prepared once, no query building per call.
const GET = `SELECT * FROM contacts WHERE id = ?`

export class ContactRepo {
  constructor(private readonly x: Executor) {}

  get(id: string): ContactRecord | null {
    const row = this.x.stmt(GET).get(id) as ContactRow | undefined
    return row ? toContact(row) : null
  }

  findByExternalId(externalId: string): ContactRecord | null {
    const row = this.x.get<ContactRow>(
      qb.selectFrom('contacts').selectAll().where('external_id', '=', externalId),
    )
    return row ? toContact(row) : null
  }

  /** Newest activity first; the cursor is the last item's recency seq. */
  search(s: ContactSearch): Page<ContactRecord> {
    const before = seqCursor(s.cursor)
    if (before === null) return { items: [], next_cursor: null }
    const rows = searchContactRows(this.x, s, s.limit + 1, before)
    const page = rows.slice(0, s.limit)
    const last = page[page.length - 1]
    return {
      items: page.map(toContact),
      next_cursor: rows.length > s.limit && last ? encodeCursor(last.seq) : null,
    }
  }

  searchIds(s: SearchFilter, max: number): string[] {
    return searchContactIds(this.x, s, max)
  }
}
