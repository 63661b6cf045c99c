/**
 * Contact and identity operations of the transaction port on PostgreSQL. Uniqueness is the
 * constraints': an insert names its arbiter (`ON CONFLICT … DO NOTHING`), so a taken external id
 * or address becomes StoreConflict without aborting the transaction; an update that may take an
 * external id runs in a savepoint for the same reason. The search vector is written with the row.
 */
import type { ContactPatch, ContactRecord, IdentityRecord, NewContact } from '../types.js'
import { StoreConflict } from '../types.js'
import type { Sql } from './exec.js'
import { CONTACT_COLUMNS, toContact, toIdentity, type PgContactRow } from './rows.js'
import type { PgIdentityRow } from './rows.js'
import { reindexContact } from './merge-rows.js'
import { contactSearchVector } from './search-vector.js'
import { uniqueViolation } from './unique-violation.js'

const INSERT_CONTACT = `INSERT INTO contacts (id, first_name, last_name, email, phone, external_id,
    attributes, blocked, created_at, updated_at, last_activity_at, search, timezone)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, $10, $11)
  ON CONFLICT (external_id) WHERE external_id IS NOT NULL DO NOTHING`
const OWNER = `SELECT id FROM contacts WHERE external_id = $1`
const SEARCH_FIELDS = `SELECT first_name, last_name, email, phone FROM contacts WHERE id = $1`
// Activity: to the top of "newest first". A sequence, so two daemons never take one number.
const TOUCH = `UPDATE contacts SET seq = nextval('contacts_seq'), last_activity_at = $2
  WHERE id = $1`
export const CONTACT_LOCK = `SELECT version, merged_into FROM contacts WHERE id = $1 FOR UPDATE`
const BUMP = `UPDATE contacts SET version = version + 1 WHERE id = $1`
const FIND_IDENTITY = `SELECT * FROM identities WHERE channel = $1 AND address = $2`
const INSERT_IDENTITY = `INSERT INTO identities (id, contact_id, channel, address, reachable,
    created_at) VALUES ($1, $2, $3, $4, true, $5)
  ON CONFLICT (channel, address) DO NOTHING`
// A person writing is reachable again; last_inbound_at never moves back (late deliveries).
const MARK_INBOUND = `UPDATE identities SET first_inbound_at = coalesce(first_inbound_at, $2),
  last_inbound_at = CASE WHEN last_inbound_at IS NULL OR last_inbound_at < $2 THEN $2
    ELSE last_inbound_at END,
  reachable = true WHERE id = $1`
const SET_REACHABLE = `UPDATE identities SET reachable = $1 WHERE channel = $2 AND address = $3`

const SEARCHED = ['first_name', 'last_name', 'email', 'phone'] as const
/** Patch keys and their columns, in a fixed order (the SET list is built from the ones present). */
const PATCHABLE = [...SEARCHED, 'external_id', 'attributes', 'blocked', 'timezone'] as const

export async function getContact(sql: Sql, id: string): Promise<ContactRecord | null> {
  const row = await sql.one<PgContactRow>(`SELECT ${CONTACT_COLUMNS} FROM contacts WHERE id = $1`, [
    id,
  ])
  return row ? toContact(row) : null
}

export async function lockContact(
  sql: Sql,
  id: string,
): Promise<{ version: number; merged_into: string | null } | null> {
  const row = await sql.one<{ version: number; merged_into: string | null }>(CONTACT_LOCK, [id])
  return row ? { version: row.version, merged_into: row.merged_into ?? null } : null
}

export async function bumpContactVersion(sql: Sql, id: string): Promise<void> {
  await sql.run(BUMP, [id])
}

export async function insertContact(sql: Sql, c: NewContact, now: string): Promise<void> {
  const inserted = await sql.run(INSERT_CONTACT, [
    c.id,
    c.first_name ?? null,
    c.last_name ?? null,
    c.email ?? null,
    c.phone ?? null,
    c.external_id ?? null,
    JSON.stringify(c.attributes ?? {}),
    c.blocked ?? false,
    now,
    contactSearchVector(c),
    c.timezone ?? null,
  ])
  if (inserted === 0) throw await externalIdTaken(sql, c.external_id ?? null)
}

export async function updateContact(
  sql: Sql,
  id: string,
  patch: ContactPatch,
  now: string,
): Promise<boolean> {
  const sets: string[] = []
  const params: unknown[] = [id, now]
  const set = (column: string, value: unknown) => {
    params.push(value)
    sets.push(`${column} = $${params.length}`)
  }
  for (const key of PATCHABLE) {
    const value = patch[key]
    if (value === undefined) continue
    set(key, key === 'attributes' ? JSON.stringify(value) : value)
  }
  if (SEARCHED.some((k) => patch[k] !== undefined)) {
    const current = await sql.one<Record<(typeof SEARCHED)[number], string | null>>(SEARCH_FIELDS, [
      id,
    ])
    if (!current) return false
    set('search', contactSearchVector({ ...current, ...pick(patch) }))
  }
  const text = `UPDATE contacts SET updated_at = $2${sets.map((s) => `, ${s}`).join('')}
    WHERE id = $1`
  const updated = await updateRow(sql, text, params, patch)
  // A survivor's vector also holds the fields of the contacts merged into it (DESIGN §15).
  if (updated && SEARCHED.some((k) => patch[k] !== undefined)) await reindexContact(sql, id)
  return updated
}

async function updateRow(
  sql: Sql,
  text: string,
  params: unknown[],
  patch: ContactPatch,
): Promise<boolean> {
  if (patch.external_id == null) return (await sql.run(text, params)) > 0
  // A taken external id must not abort the transaction: the savepoint takes the failure.
  await sql.run('SAVEPOINT contact_update')
  try {
    const n = await sql.run(text, params)
    await sql.run('RELEASE contact_update')
    return n > 0
  } catch (error) {
    if (uniqueViolation(error) !== 'contacts_external_id') throw error
    await sql.run('ROLLBACK TO contact_update')
    await sql.run('RELEASE contact_update')
    throw await externalIdTaken(sql, patch.external_id)
  }
}

export async function touchContact(sql: Sql, id: string, now: string): Promise<void> {
  await sql.later(TOUCH, [id, now])
}

export async function findIdentity(
  sql: Sql,
  channel: string,
  address: string,
): Promise<IdentityRecord | null> {
  const row = await sql.one<PgIdentityRow>(FIND_IDENTITY, [channel, address])
  return row ? toIdentity(row) : null
}

export async function insertIdentity(
  sql: Sql,
  i: { id: string; channel: string; address: string },
  contactId: string,
  now: string,
): Promise<void> {
  if ((await sql.run(INSERT_IDENTITY, [i.id, contactId, i.channel, i.address, now])) > 0) return
  throw new StoreConflict('identity_taken', {
    channel: i.channel,
    address: i.address,
    contact_id: (await findIdentity(sql, i.channel, i.address))?.contact_id ?? null,
  })
}

export async function markInbound(sql: Sql, id: string, at: string): Promise<void> {
  await sql.run(MARK_INBOUND, [id, at])
}

export async function setReachable(
  sql: Sql,
  channel: string,
  address: string,
  reachable: boolean,
): Promise<boolean> {
  return (await sql.run(SET_REACHABLE, [reachable, channel, address])) > 0
}

async function externalIdTaken(sql: Sql, externalId: string | null): Promise<StoreConflict> {
  const owner = externalId === null ? undefined : await sql.one<{ id: string }>(OWNER, [externalId])
  return new StoreConflict('external_id_taken', {
    external_id: externalId,
    contact_id: owner?.id ?? null,
  })
}

function pick(patch: ContactPatch): Partial<Record<(typeof SEARCHED)[number], string | null>> {
  const out: Partial<Record<(typeof SEARCHED)[number], string | null>> = {}
  for (const k of SEARCHED) if (patch[k] !== undefined) out[k] = patch[k] ?? null
  return out
}
