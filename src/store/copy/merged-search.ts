/**
 * After the tables of `omnigate copy`: the search vector of each contact that others were merged
 * into (DESIGN §15) also holds their fields, as the PostgreSQL dialect writes it at a merge; the
 * per-row vector of the contacts table cannot see them. Idempotent, so a resumed copy runs it again.
 */
import type pg from 'pg'
import { mergedSearchVector } from '../postgres/search-vector.js'

const SURVIVORS = `SELECT DISTINCT merged_into AS id FROM contacts WHERE merged_into IS NOT NULL`
// The contact's own row first, then the ones merged into it.
const FIELDS = `SELECT first_name, last_name, email, phone FROM contacts
  WHERE id = $1 OR merged_into = $1 ORDER BY merged_into IS NOT NULL, seq`
const SET = `UPDATE contacts SET search = $2 WHERE id = $1`

type Fields = Record<'first_name' | 'last_name' | 'email' | 'phone', string | null>

/** Rewrites the survivors' vectors; resolves how many. */
export async function reindexSurvivors(c: pg.ClientBase): Promise<number> {
  const survivors = (await c.query<{ id: string }>(SURVIVORS)).rows
  for (const { id } of survivors) {
    const rows = (await c.query<Fields>(FIELDS, [id])).rows
    if (rows.length > 0) await c.query(SET, [id, mergedSearchVector(rows)])
  }
  return survivors.length
}
