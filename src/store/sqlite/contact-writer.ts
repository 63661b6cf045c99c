/**
 * Contact writes shared by the repository, accept and inbound: the row, its search text, and the
 * recency move. Prepared statements: these run on the hot paths.
 */
import type { NewContact } from '../types.js'
import { StoreConflict } from '../types.js'
import type { Executor } from './executor.js'
import type { SearchIndex } from './search-index.js'
import { contactSearchText, type ContactSearchFields } from './search-text.js'

const INSERT = `INSERT INTO contacts (id, first_name, last_name, email, phone, external_id,
    attributes, blocked, created_at, updated_at, last_activity_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
const SEARCH_FIELDS = `SELECT seq, first_name, last_name, email, phone FROM contacts WHERE id = ?`
const EXTERNAL_ID_OWNER = `SELECT id FROM contacts WHERE external_id = ?`
const RECENCY = `SELECT seq, (SELECT max(seq) FROM contacts) AS top FROM contacts WHERE id = ?`
const MOVE = `UPDATE contacts SET seq = ?, last_activity_at = ? WHERE id = ?`
const ACTIVE_AT = `UPDATE contacts SET last_activity_at = ? WHERE id = ?`

export class ContactWriter {
  constructor(
    private readonly x: Executor,
    private readonly index: SearchIndex,
  ) {}

  /** Inserts a contact (on top of the recency order) and its search row. */
  insert(c: NewContact, now: string): void {
    if (c.external_id != null) this.assertExternalIdFree(c.external_id, c.id)
    const r = this.x
      .stmt(INSERT)
      .run(
        c.id,
        c.first_name ?? null,
        c.last_name ?? null,
        c.email ?? null,
        c.phone ?? null,
        c.external_id ?? null,
        JSON.stringify(c.attributes ?? {}),
        c.blocked ? 1 : 0,
        now,
        now,
        now,
      )
    this.index.insert(Number(r.lastInsertRowid), contactSearchText(c))
  }

  /** Rewrites the search row after a change of name, email or phone. */
  reindex(id: string): void {
    const row = this.x.stmt(SEARCH_FIELDS).get(id) as
      (ContactSearchFields & { seq: number }) | undefined
    if (row) this.index.replace(row.seq, contactSearchText(row))
  }

  /**
   * Marks activity (a message in or out): the contact moves to max(seq)+1, newest first in
   * search, unless it is on top already (a burst of messages to one contact costs one move).
   */
  touch(id: string, now: string): void {
    const r = this.x.stmt(RECENCY).get(id) as { seq: number; top: number } | undefined
    if (!r || r.seq === r.top) {
      this.x.stmt(ACTIVE_AT).run(now, id)
      return
    }
    this.x.stmt(MOVE).run(r.top + 1, now, id)
    this.index.move(r.seq, r.top + 1)
  }

  /** Throws StoreConflict('external_id_taken') when another contact has this external id. */
  assertExternalIdFree(externalId: string, selfId: string): void {
    const owner = this.x.stmt(EXTERNAL_ID_OWNER).get(externalId) as { id: string } | undefined
    if (owner && owner.id !== selfId) {
      throw new StoreConflict('external_id_taken', {
        external_id: externalId,
        contact_id: owner.id,
      })
    }
  }
}
