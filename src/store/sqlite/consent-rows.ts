/**
 * Consent rows on SQLite (migration 8): the port's consent operations, run inside the store's
 * transaction, and the reads of `Store.consent`.
 */
import type { ConsentInsert } from '../core/port.js'
import type { ConsentRecord, ConsentStatus } from '../types.js'
import type { Executor } from './executor.js'

const STATUS = `SELECT status FROM consent WHERE contact_id = ? AND channel = ?`
const UPSERT = `INSERT INTO consent
  (contact_id, channel, status, at, source_kind, source_id, source_text)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (contact_id, channel) DO UPDATE SET status = excluded.status, at = excluded.at,
    source_kind = excluded.source_kind, source_id = excluded.source_id,
    source_text = excluded.source_text`
const HISTORY_INSERT = `INSERT INTO consent_history
  (id, contact_id, channel, status, at, source_kind, source_id, source_text)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
// Active first (the conversation going on), else the newest: where a person looks for it.
const LATEST_THREAD = `SELECT id FROM threads WHERE contact_id = ? AND channel = ?
  ORDER BY status IN ('open', 'snoozed') DESC, seq DESC LIMIT 1`
const STATE = `SELECT channel, status, at, source_kind, source_id, source_text FROM consent
  WHERE contact_id = ? ORDER BY channel`
const HISTORY = `SELECT channel, status, at, source_kind, source_id, source_text
  FROM consent_history WHERE contact_id = ? ORDER BY seq`
const OPTED_OUT = `SELECT contact_id FROM consent WHERE channel = ? AND status = 'opted_out'
  AND contact_id IN (SELECT value FROM json_each(?))`

/** A consent or consent_history row as read. */
interface ConsentRow {
  channel: string
  status: string
  at: string
  source_kind: string
  source_id: string | null
  source_text: string | null
}

export class ConsentRows {
  constructor(private readonly x: Executor) {}

  status(contactId: string, channel: string): ConsentStatus | null {
    const row = this.x.stmt(STATUS).get(contactId, channel) as { status: string } | undefined
    return row ? (row.status as ConsentStatus) : null
  }

  save(c: ConsentInsert): void {
    const source = [c.source.kind, c.source.id ?? null, c.source.text ?? null]
    this.x.stmt(UPSERT).run(c.contact_id, c.channel, c.status, c.at, ...source)
    this.x.stmt(HISTORY_INSERT).run(c.id, c.contact_id, c.channel, c.status, c.at, ...source)
  }

  latestThreadId(contactId: string, channel: string): string | null {
    const row = this.x.stmt(LATEST_THREAD).get(contactId, channel) as { id: string } | undefined
    return row?.id ?? null
  }

  state(contactId: string): ConsentRecord[] {
    return (this.x.stmt(STATE).all(contactId) as ConsentRow[]).map(toConsent)
  }

  history(contactId: string): ConsentRecord[] {
    return (this.x.stmt(HISTORY).all(contactId) as ConsentRow[]).map(toConsent)
  }

  optedOut(contactIds: readonly string[], channel: string): Set<string> {
    if (contactIds.length === 0) return new Set()
    const rows = this.x.stmt(OPTED_OUT).all(channel, JSON.stringify(contactIds)) as {
      contact_id: string
    }[]
    return new Set(rows.map((r) => r.contact_id))
  }
}

/** A row as the record both dialects return (absent `id`/`text` left out, not null). */
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
