/**
 * Contacts: create with identities, read, patch (search text kept in step), search.
 */
import type {
  ContactPatch,
  ContactRecord,
  ContactSearch,
  NewContact,
  Page,
  Store,
} from '../types.js'
import type { ContactWriter } from './contact-writer.js'
import { searchContactIds, searchContactRows, type SearchFilter } from './contact-search.js'
import { encodeCursor, seqCursor } from './cursor.js'
import { qb, type Executor } from './executor.js'
import type { IdentityRepo } from './identity-repo.js'
import { toContact } from './rows.js'
import type { ContactRow, ContactsTable } from './schema.js'

type ContactsApi = Store['contacts']

const SEARCHED_FIELDS = ['first_name', 'last_name', 'email', 'phone'] as const

export class ContactRepo implements ContactsApi {
  constructor(
    private readonly x: Executor,
    private readonly writer: ContactWriter,
    private readonly identities: IdentityRepo,
  ) {}

  create(
    c: NewContact,
    identities: { id: string; channel: string; address: string }[],
    now: string,
  ): ContactRecord {
    return this.x.tx(() => {
      this.writer.insert(c, now)
      for (const i of identities) this.identities.insert(i, c.id, now)
      return this.mustGet(c.id)
    })
  }

  get(id: string): ContactRecord | null {
    const row = this.x.get<ContactRow>(qb.selectFrom('contacts').selectAll().where('id', '=', id))
    return row ? toContact(row) : null
  }

  findByExternalId(externalId: string): ContactRecord | null {
    const row = this.x.get<ContactRow>(
      qb.selectFrom('contacts').selectAll().where('external_id', '=', externalId),
    )
    return row ? toContact(row) : null
  }

  /** Applies the fields present in `patch`; throws StoreConflict('external_id_taken'). */
  update(id: string, patch: ContactPatch, now: string): ContactRecord | null {
    return this.x.tx(() => {
      if (!this.get(id)) return null
      if (patch.external_id != null) this.writer.assertExternalIdFree(patch.external_id, id)
      const set: Partial<Omit<ContactsTable, 'seq'>> = { updated_at: now }
      if (patch.first_name !== undefined) set.first_name = patch.first_name
      if (patch.last_name !== undefined) set.last_name = patch.last_name
      if (patch.email !== undefined) set.email = patch.email
      if (patch.phone !== undefined) set.phone = patch.phone
      if (patch.external_id !== undefined) set.external_id = patch.external_id
      if (patch.attributes !== undefined) set.attributes = JSON.stringify(patch.attributes)
      if (patch.blocked !== undefined) set.blocked = patch.blocked ? 1 : 0
      this.x.run(qb.updateTable('contacts').set(set).where('id', '=', id))
      if (SEARCHED_FIELDS.some((k) => patch[k] !== undefined)) this.writer.reindex(id)
      return this.mustGet(id)
    })
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

  private mustGet(id: string): ContactRecord {
    const c = this.get(id)
    if (!c) throw new Error(`contact ${id} vanished inside its own transaction`)
    return c
  }
}
