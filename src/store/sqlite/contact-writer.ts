/**
 * Contact writes of the transaction port: the row, its search text, the recency move and the
 * version. Prepared statements: these run on the hot paths. Uniqueness of `external_id` is the
 * partial unique index's (contacts_external_id): a violation becomes StoreConflict.
 */
import type { ContactPatch, NewContact } from '../types.js'
import { StoreConflict } from '../types.js'
import { qb, type Executor } from './executor.js'
import type { ContactsTable } from './schema.js'
import type { SearchIndex } from './search-index.js'
import { contactSearchText, mergedSearchText, type ContactSearchFields } from './search-text.js'
import { uniqueViolation } from './unique-violation.js'

const INSERT = `INSERT INTO contacts (id, first_name, last_name, email, phone, external_id,
    attributes, blocked, created_at, updated_at, last_activity_at, timezone)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
// The contact's own row first, then the ones merged into it (their fields find the survivor).
const SEARCH_FIELDS = `SELECT seq, first_name, last_name, email, phone FROM contacts
  WHERE id = ? OR merged_into = ? ORDER BY merged_into IS NOT NULL, seq`
const EXTERNAL_ID_OWNER = `SELECT id FROM contacts WHERE external_id = ?`
const RECENCY = `SELECT seq, (SELECT max(seq) FROM contacts) AS top FROM contacts WHERE id = ?`
const MOVE = `UPDATE contacts SET seq = ?, last_activity_at = ? WHERE id = ?`
const ACTIVE_AT = `UPDATE contacts SET last_activity_at = ? WHERE id = ?`
const VERSION = `SELECT version, merged_into FROM contacts WHERE id = ?`
const BUMP = `UPDATE contacts SET version = version + 1 WHERE id = ?`

const SEARCHED_FIELDS = ['first_name', 'last_name', 'email', 'phone'] as const

export class ContactWriter {
  constructor(
    private readonly x: Executor,
    private readonly index: SearchIndex,
  ) {}

  /** Inserts a contact (on top of the recency order) and its search row. */
  insert(c: NewContact, now: string): void {
    const r = this.externalIdFree(c.external_id, () =>
      this.x
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
          c.timezone ?? null,
        ),
    )
    this.index.insert(Number(r.lastInsertRowid), contactSearchText(c))
  }

  /** Applies the fields present in `patch`; false when there is no such contact. */
  update(id: string, patch: ContactPatch, now: string): boolean {
    const set: Partial<Omit<ContactsTable, 'seq' | 'version'>> = { updated_at: now }
    if (patch.first_name !== undefined) set.first_name = patch.first_name
    if (patch.last_name !== undefined) set.last_name = patch.last_name
    if (patch.email !== undefined) set.email = patch.email
    if (patch.phone !== undefined) set.phone = patch.phone
    if (patch.external_id !== undefined) set.external_id = patch.external_id
    if (patch.attributes !== undefined) set.attributes = JSON.stringify(patch.attributes)
    if (patch.blocked !== undefined) set.blocked = patch.blocked ? 1 : 0
    if (patch.timezone !== undefined) set.timezone = patch.timezone
    const r = this.externalIdFree(patch.external_id, () =>
      this.x.run(qb.updateTable('contacts').set(set).where('id', '=', id)),
    )
    if (r.changes === 0) return false
    if (SEARCHED_FIELDS.some((k) => patch[k] !== undefined)) this.reindex(id)
    return true
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

  /** The one writer is exclusive: no lock to take, only the version to read. */
  lock(id: string): { version: number; merged_into: string | null } | null {
    const row = this.x.stmt(VERSION).get(id) as
      { version: number; merged_into: string | null } | undefined
    return row ? { version: row.version, merged_into: row.merged_into ?? null } : null
  }

  bumpVersion(id: string): void {
    this.x.stmt(BUMP).run(id)
  }

  /**
   * Rewrites the search row after a change of name, email or phone, or a merge: the contact's
   * fields and those of the contacts merged into it.
   */
  reindex(id: string): void {
    const rows = this.x.stmt(SEARCH_FIELDS).all(id, id) as (ContactSearchFields & { seq: number })[]
    const own = rows[0]
    if (own) this.index.replace(own.seq, mergedSearchText(rows))
  }

  /** Drops a merged contact's own search row (the survivor's row carries its fields). */
  unindex(id: string): void {
    const row = this.x.stmt(RECENCY).get(id) as { seq: number } | undefined
    if (row) this.index.remove(row.seq)
  }

  /** Runs the write; a taken external id becomes StoreConflict('external_id_taken'). */
  private externalIdFree<T>(externalId: string | null | undefined, write: () => T): T {
    try {
      return write()
    } catch (error) {
      if (externalId == null || uniqueViolation(error) !== 'contacts.external_id') throw error
      const owner = this.x.stmt(EXTERNAL_ID_OWNER).get(externalId) as { id: string } | undefined
      throw new StoreConflict('external_id_taken', {
        external_id: externalId,
        contact_id: owner?.id ?? null,
      })
    }
  }
}
