/**
 * Identities: a contact's account on one channel, unique per (channel, address) — the unique
 * index's job: a taken address becomes StoreConflict('identity_taken'). Inbound marks them
 * (first/last inbound time opens windows and satisfies contact-first).
 */
import type { IdentityRecord } from '../types.js'
import { StoreConflict } from '../types.js'
import type { Executor } from './executor.js'
import { toIdentity } from './rows.js'
import type { IdentitiesTable } from './schema.js'
import { uniqueViolation } from './unique-violation.js'

const INSERT = `INSERT INTO identities (id, contact_id, channel, address, reachable, created_at)
  VALUES (?, ?, ?, ?, 1, ?)`
const FIND = `SELECT * FROM identities WHERE channel = ? AND address = ?`
// Oldest first; identities created together (one instant) in the order they were made.
const OF_CONTACT = `SELECT * FROM identities WHERE contact_id = ? ORDER BY created_at, rowid`
// Each contact's rows in OF_CONTACT's order.
const OF_CONTACTS = `SELECT * FROM identities WHERE contact_id IN (SELECT value FROM json_each(?))
  ORDER BY created_at, rowid`
const TAKEN = 'identities.channel, identities.address'
// A person writing is reachable again; last_inbound_at never moves back (late deliveries).
const MARK_INBOUND = `UPDATE identities SET first_inbound_at = coalesce(first_inbound_at, ?),
  last_inbound_at = CASE WHEN last_inbound_at IS NULL OR last_inbound_at < ? THEN ?
    ELSE last_inbound_at END,
  reachable = 1 WHERE id = ?`
const SET_REACHABLE = `UPDATE identities SET reachable = ? WHERE channel = ? AND address = ?`

export class IdentityRepo {
  constructor(private readonly x: Executor) {}

  listByContact(contactId: string): IdentityRecord[] {
    return (this.x.stmt(OF_CONTACT).all(contactId) as IdentitiesTable[]).map(toIdentity)
  }

  listByContacts(contactIds: readonly string[]): Map<string, IdentityRecord[]> {
    const rows = this.x.stmt(OF_CONTACTS).all(JSON.stringify(contactIds)) as IdentitiesTable[]
    return byContact(rows.map(toIdentity))
  }

  find(channel: string, address: string): IdentityRecord | null {
    const row = this.x.stmt(FIND).get(channel, address) as IdentitiesTable | undefined
    return row ? toIdentity(row) : null
  }

  setReachable(channel: string, address: string, reachable: boolean): boolean {
    return this.x.stmt(SET_REACHABLE).run(reachable ? 1 : 0, channel, address).changes > 0
  }

  /** Inserts an identity; throws StoreConflict('identity_taken') when (channel, address) is. */
  insert(
    i: { id: string; channel: string; address: string },
    contactId: string,
    now: string,
  ): void {
    try {
      this.x.stmt(INSERT).run(i.id, contactId, i.channel, i.address, now)
    } catch (error) {
      if (uniqueViolation(error) !== TAKEN) throw error
      throw new StoreConflict('identity_taken', {
        channel: i.channel,
        address: i.address,
        contact_id: this.find(i.channel, i.address)?.contact_id ?? null,
      })
    }
  }

  /** Records an inbound message at `at`: first/last inbound time, reachable again. */
  markInbound(id: string, at: string): void {
    this.x.stmt(MARK_INBOUND).run(at, at, at, id)
  }
}

/** Identities grouped by contact, each group in the order given. */
export function byContact(list: readonly IdentityRecord[]): Map<string, IdentityRecord[]> {
  const out = new Map<string, IdentityRecord[]>()
  for (const i of list) {
    const group = out.get(i.contact_id)
    if (group) group.push(i)
    else out.set(i.contact_id, [i])
  }
  return out
}
