/**
 * Automation firings on SQLite (migration 11): the port's operations, run inside the store's
 * transaction, and the reads of `Store.automations` (silent threads, inbound count).
 */
import type { AutomationFiringInsert } from '../core/port.js'
import type { SilentThread } from '../types.js'
import type { Executor } from './executor.js'

const LAST = `SELECT max(fired_at) AS at FROM automation_firings
  WHERE automation = ? AND contact_id = ? AND skipped_code IS NULL`
const INSERT = `INSERT INTO automation_firings (automation, trigger_key, contact_id, thread_id, fired_at)
  VALUES (?, ?, ?, ?, ?) ON CONFLICT (automation, trigger_key) DO NOTHING`
const SKIP = `UPDATE automation_firings SET skipped_code = ? WHERE automation = ? AND trigger_key = ?`
// Each open thread's last message not written by an automation: a walk back on messages_thread.
// The key matches `silenceKey()` in store/types.ts.
const SILENT = `SELECT id, contact_id, channel, last_at FROM (
    SELECT t.id, t.contact_id, t.channel,
      (SELECT m.created_at FROM messages m WHERE m.thread_id = t.id
        AND m.author_kind <> 'automation' ORDER BY m.seq DESC LIMIT 1) AS last_at
    FROM threads t WHERE t.status = 'open'
      AND (? IS NULL OR t.channel IN (SELECT value FROM json_each(?)))
  ) s
  WHERE last_at IS NOT NULL AND last_at <= ?
    AND NOT EXISTS (SELECT 1 FROM automation_firings f WHERE f.automation = ?
      AND f.trigger_key = 'silent:' || s.id || ':' || s.last_at)
  ORDER BY last_at LIMIT ?`
const INBOUND = `SELECT count(*) AS n FROM (SELECT 1 FROM messages
  WHERE contact_id = ? AND direction = 'in' LIMIT ?)`

export class AutomationRows {
  constructor(private readonly x: Executor) {}

  last(automation: string, contactId: string): string | null {
    const row = this.x.stmt(LAST).get(automation, contactId) as { at: string | null } | undefined
    return row?.at ?? null
  }

  insert(f: AutomationFiringInsert): boolean {
    const r = this.x
      .stmt(INSERT)
      .run(f.automation, f.trigger_key, f.contact_id, f.thread_id, f.fired_at)
    return r.changes > 0
  }

  skip(automation: string, triggerKey: string, code: string): void {
    this.x.stmt(SKIP).run(code, automation, triggerKey)
  }

  silent(q: {
    automation: string
    before: string
    channels: readonly string[] | null
    limit: number
  }): SilentThread[] {
    const channels = q.channels === null ? null : JSON.stringify(q.channels)
    return this.x
      .stmt(SILENT)
      .all(channels, channels, q.before, q.automation, q.limit) as SilentThread[]
  }

  inboundCount(contactId: string, max: number): number {
    const row = this.x.stmt(INBOUND).get(contactId, max) as { n: number } | undefined
    return row?.n ?? 0
  }
}
