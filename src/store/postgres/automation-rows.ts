/**
 * Automation firings on PostgreSQL (migration 11), as `sqlite/automation-rows.ts`: the port's
 * operations on the transaction's connection, and the reads of `Store.automations` on the pool.
 */
import type { AutomationFiringInsert } from '../core/port.js'
import type { SilentThread } from '../types.js'
import type { Sql } from './exec.js'

const LAST = `SELECT max(fired_at) AS at FROM automation_firings
  WHERE automation = $1 AND contact_id = $2 AND skipped_code IS NULL`
const INSERT = `INSERT INTO automation_firings (automation, trigger_key, contact_id, thread_id, fired_at)
  VALUES ($1, $2, $3, $4, $5) ON CONFLICT (automation, trigger_key) DO NOTHING`
const SKIP = `UPDATE automation_firings SET skipped_code = $1
  WHERE automation = $2 AND trigger_key = $3`
// The key matches `silenceKey()` in store/types.ts.
const SILENT = `SELECT id, contact_id, channel, last_at FROM (
    SELECT t.id, t.contact_id, t.channel,
      (SELECT m.created_at FROM messages m WHERE m.thread_id = t.id
        AND m.author_kind <> 'automation' ORDER BY m.seq DESC LIMIT 1) AS last_at
    FROM threads t WHERE t.status = 'open'
      AND ($1::text[] IS NULL OR t.channel = ANY($1::text[]))
  ) s
  WHERE last_at IS NOT NULL AND last_at <= $2
    AND NOT EXISTS (SELECT 1 FROM automation_firings f WHERE f.automation = $3
      AND f.trigger_key = 'silent:' || s.id || ':' || s.last_at)
  ORDER BY last_at LIMIT $4`
const INBOUND = `SELECT count(*)::int AS n FROM (SELECT 1 FROM messages
  WHERE contact_id = $1 AND direction = 'in' LIMIT $2) s`

export async function lastFiring(
  sql: Sql,
  automation: string,
  contactId: string,
): Promise<string | null> {
  return (await sql.one<{ at: string | null }>(LAST, [automation, contactId]))?.at ?? null
}

export async function insertFiring(sql: Sql, f: AutomationFiringInsert): Promise<boolean> {
  const n = await sql.run(INSERT, [
    f.automation,
    f.trigger_key,
    f.contact_id,
    f.thread_id,
    f.fired_at,
  ])
  return n > 0
}

export async function skipFiring(
  sql: Sql,
  automation: string,
  triggerKey: string,
  code: string,
): Promise<void> {
  await sql.run(SKIP, [code, automation, triggerKey])
}

export function silentThreads(
  sql: Sql,
  q: { automation: string; before: string; channels: readonly string[] | null; limit: number },
): Promise<SilentThread[]> {
  return sql.rows<SilentThread>(SILENT, [q.channels, q.before, q.automation, q.limit])
}

export async function inboundCount(sql: Sql, contactId: string, max: number): Promise<number> {
  return (await sql.one<{ n: number }>(INBOUND, [contactId, max]))?.n ?? 0
}
