/**
 * Bulk rows (DESIGN §1.6, §3): the job row, its recipient snapshot pages, progress and counts —
 * the statements behind the port's bulk operations and the bulk reads. Lists of ids go in as one
 * JSON parameter (`json_each`).
 */
import type { BulkProgress } from '../core/port.js'
import type { BulkCounts, BulkRecord, BulkStatus, MessageError, NewBulk } from '../types.js'
import { CorruptRecord } from '../types.js'
import type { Executor } from './executor.js'
import { tryParse } from './rows.js'

interface BulkRow {
  id: string
  channel: string
  status: string
  author_kind: string
  author_id: string | null
  spec: string
  total: number
  checked: number
  eligible: number
  skipped: string
  next_due_at: number
  created_at: string
  updated_at: string
  cancelled_at: string | null
  finished_at: string | null
  error_code: string | null
  error_message: string | null
}

const INSERT = `INSERT INTO bulks (id, channel, status, author_kind, author_id, spec, total,
    next_due_at, created_at, updated_at)
  VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)`
const INSERT_PAGE = `INSERT INTO bulk_recipients (bulk_id, page, contact_ids) VALUES (?, ?, ?)`
const GET = `SELECT * FROM bulks WHERE id = ?`
const UNFINISHED = `SELECT * FROM bulks WHERE finished_at IS NULL ORDER BY seq`
const PAGE = `SELECT contact_ids FROM bulk_recipients WHERE bulk_id = ? AND page = ?`
const DELETE_PAGES = `DELETE FROM bulk_recipients WHERE bulk_id = ?`
const HAS_MESSAGE = `SELECT 1 FROM messages WHERE bulk_id = ? AND contact_id = ?`
const PROGRESS = `UPDATE bulks SET checked = ?, eligible = ?, skipped = ?, next_due_at = ?,
  updated_at = ? WHERE id = ?`
const COUNTS = `SELECT status, count(*) AS n FROM messages WHERE bulk_id = ? GROUP BY status`
const PENDING = `SELECT 1 FROM messages WHERE bulk_id = ? AND status IN ('queued', 'sending')
  LIMIT 1`
const FINISH = `UPDATE bulks SET status = ?, finished_at = ?, updated_at = ? WHERE id = ?`
const CANCEL = `UPDATE bulks SET status = 'cancelled', cancelled_at = ?, updated_at = ?
  WHERE id = ? AND status = 'running'`
const CANCELLABLE = `SELECT o.job_id AS jobId, m.id AS messageId
  FROM messages m JOIN outbox o ON o.message_id = m.id
  WHERE m.bulk_id = ? AND m.status IN ('queued', 'sending') AND o.lease_until <= ?
  LIMIT ?`
const FAIL = `UPDATE bulks SET status = 'failed', error_code = ?, error_message = ?,
  finished_at = ?, updated_at = ? WHERE id = ? AND finished_at IS NULL`

export class BulkRows {
  constructor(private readonly x: Executor) {}

  get(id: string): BulkRecord | null {
    const row = this.x.stmt(GET).get(id) as BulkRow | undefined
    return row ? toBulk(row) : null
  }

  listUnfinished(): BulkRecord[] {
    return (this.x.stmt(UNFINISHED).all() as BulkRow[]).map(toBulk)
  }

  insert(b: Omit<NewBulk, 'contactIds'> & { total: number }, now: string): void {
    this.x
      .stmt(INSERT)
      .run(
        b.id,
        b.channel,
        b.author.kind,
        b.author.id,
        JSON.stringify(b.spec),
        b.total,
        b.next_due_at,
        now,
        now,
      )
  }

  insertPage(bulkId: string, page: number, ids: readonly string[]): void {
    this.x.stmt(INSERT_PAGE).run(bulkId, page, JSON.stringify(ids))
  }

  page(bulkId: string, page: number): string[] | null {
    const row = this.x.stmt(PAGE).get(bulkId, page) as { contact_ids: string } | undefined
    if (!row) return null
    const ids = tryParse(row.contact_ids)
    if (!Array.isArray(ids) || !ids.every((x): x is string => typeof x === 'string'))
      throw new CorruptRecord('bulk_recipients', `${bulkId}/${page}`, 'contact_ids')
    return ids
  }

  deletePages(bulkId: string): void {
    this.x.stmt(DELETE_PAGES).run(bulkId)
  }

  hasMessageFor(bulkId: string, contactId: string): boolean {
    return this.x.stmt(HAS_MESSAGE).get(bulkId, contactId) !== undefined
  }

  saveProgress(bulkId: string, p: BulkProgress): void {
    this.x
      .stmt(PROGRESS)
      .run(p.checked, p.eligible, JSON.stringify(p.skipped), p.next_due_at, p.now, bulkId)
  }

  counts(bulkId: string): BulkCounts {
    const counts: BulkCounts = {
      queued: 0,
      sending: 0,
      sent: 0,
      delivered: 0,
      read: 0,
      failed: 0,
      cancelled: 0,
    }
    const rows = this.x.stmt(COUNTS).all(bulkId) as { status: keyof BulkCounts; n: number }[]
    for (const r of rows) counts[r.status] = r.n
    return counts
  }

  hasPending(bulkId: string): boolean {
    return this.x.stmt(PENDING).get(bulkId) !== undefined
  }

  finish(bulkId: string, status: BulkStatus, now: string): void {
    this.x.stmt(FINISH).run(status, now, now, bulkId)
  }

  cancel(bulkId: string, now: string): boolean {
    return this.x.stmt(CANCEL).run(now, now, bulkId).changes > 0
  }

  fail(bulkId: string, error: MessageError, now: string): boolean {
    return this.x.stmt(FAIL).run(error.code, error.message, now, now, bulkId).changes > 0
  }

  cancellable(
    bulkId: string,
    nowMs: number,
    limit: number,
  ): { jobId: number; messageId: string }[] {
    return this.x.stmt(CANCELLABLE).all(bulkId, nowMs, limit) as {
      jobId: number
      messageId: string
    }[]
  }
}

/**
 * A damaged JSON column (`spec`, `skipped`) reads as `{}` and is named in `unreadable`: the bulk
 * can still be listed, shown and failed (`corrupt_record`) instead of stopping the runner.
 */
function toBulk(r: BulkRow): BulkRecord {
  const unreadable: string[] = []
  const object = <T>(name: string, text: string): T => {
    const v = tryParse(text)
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as T
    unreadable.push(name)
    return {} as T
  }
  const b: BulkRecord = {
    id: r.id,
    channel: r.channel,
    status: r.status as BulkStatus,
    author: { kind: r.author_kind as BulkRecord['author']['kind'], id: r.author_id },
    spec: object<Record<string, unknown>>('spec', r.spec),
    total: r.total,
    checked: r.checked,
    eligible: r.eligible,
    skipped: object<Record<string, number>>('skipped', r.skipped),
    next_due_at: r.next_due_at,
    created_at: r.created_at,
    updated_at: r.updated_at,
    cancelled_at: r.cancelled_at,
    finished_at: r.finished_at,
    error: r.error_code === null ? null : { code: r.error_code, message: r.error_message ?? '' },
  }
  if (unreadable.length > 0) b.unreadable = unreadable
  return b
}
