/**
 * Consent rows on PostgreSQL (migration 8), as `sqlite/consent-rows.ts`: the port's consent
 * operations on the transaction's connection, and the reads of `Store.consent` on the pool.
 */
import type { ConsentInsert } from '../core/port.js'
import type { ConsentRecord, ConsentStatus } from '../types.js'
import type { Sql } from './exec.js'

const STATUS = `SELECT status FROM consent WHERE contact_id = $1 AND channel = $2`
const UPSERT = `INSERT INTO consent
  (contact_id, channel, status, at, source_kind, source_id, source_text)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (contact_id, channel) DO UPDATE SET status = excluded.status, at = excluded.at,
    source_kind = excluded.source_kind, source_id = excluded.source_id,
    source_text = excluded.source_text`
const HISTORY_INSERT = `INSERT INTO consent_history
  (id, contact_id, channel, status, at, source_kind, source_id, source_text)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
// Active first (the conversation going on), else the newest: where a person looks for it.
const LATEST_THREAD = `SELECT id FROM threads WHERE contact_id = $1 AND channel = $2
  ORDER BY (status IN ('open', 'snoozed')) DESC, seq DESC LIMIT 1`
const STATE = `SELECT channel, status, at, source_kind, source_id, source_text FROM consent
  WHERE contact_id = $1 ORDER BY channel`
const HISTORY = `SELECT channel, status, at, source_kind, source_id, source_text
  FROM consent_history WHERE contact_id = $1 ORDER BY seq`
const OPTED_OUT = `SELECT contact_id FROM consent WHERE channel = $1 AND status = 'opted_out'
  AND contact_id = ANY($2::text[])`

interface ConsentRow {
  channel: string
  status: string
  at: string
  source_kind: string
  source_id: string | null
  source_text: string | null
}

export async function consentStatus(
  sql: Sql,
  contactId: string,
  channel: string,
): Promise<ConsentStatus | null> {
  const row = await sql.one<{ status: string }>(STATUS, [contactId, channel])
  return row ? (row.status as ConsentStatus) : null
}

export async function saveConsent(sql: Sql, c: ConsentInsert): Promise<void> {
  const source = [c.source.kind, c.source.id ?? null, c.source.text ?? null]
  await sql.run(UPSERT, [c.contact_id, c.channel, c.status, c.at, ...source])
  await sql.run(HISTORY_INSERT, [c.id, c.contact_id, c.channel, c.status, c.at, ...source])
}

export async function latestThreadId(
  sql: Sql,
  contactId: string,
  channel: string,
): Promise<string | null> {
  return (await sql.one<{ id: string }>(LATEST_THREAD, [contactId, channel]))?.id ?? null
}

export async function consentState(sql: Sql, contactId: string): Promise<ConsentRecord[]> {
  return (await sql.rows<ConsentRow>(STATE, [contactId])).map(toConsent)
}

export async function consentHistory(sql: Sql, contactId: string): Promise<ConsentRecord[]> {
  return (await sql.rows<ConsentRow>(HISTORY, [contactId])).map(toConsent)
}

export async function optedOut(
  sql: Sql,
  contactIds: readonly string[],
  channel: string,
): Promise<Set<string>> {
  if (contactIds.length === 0) return new Set()
  const rows = await sql.rows<{ contact_id: string }>(OPTED_OUT, [channel, [...contactIds]])
  return new Set(rows.map((r) => r.contact_id))
}

function toConsent(r: ConsentRow): ConsentRecord {
  return {
    channel: r.channel,
    status: r.status as ConsentStatus,
    at: r.at,
    source: {
      kind: r.source_kind as ConsentRecord['source']['kind'],
      ...(r.source_id === null ? {} : { id: r.source_id }),
      ...(r.source_text === null ? {} : { text: r.source_text }),
    },
  }
}
