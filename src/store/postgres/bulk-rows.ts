/**
 * Bulk rows on PostgreSQL (DESIGN §1.6, §3): the job row, its recipient snapshot pages, progress
 * and counts — the statements behind the port's bulk operations and the bulk reads. A damaged
 * JSON column cannot be stored here (`json` validates on write), but the mapping keeps SQLite's
 * `unreadable` handling so both dialects answer alike.
 */
import type { BulkProgress } from '../core/port.js'
import { MESSAGE_STATUSES } from '../core/message-status.js'
import { tryParse } from '../sqlite/rows.js'
import { CorruptRecord } from '../types.js'
import type { BulkCounts, BulkRecord, BulkStatus, MessageError, NewBulk } from '../types.js'
import type { Sql } from './exec.js'

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

const COLUMNS = `id, channel, status, author_kind, author_id, spec, total, checked, eligible,
  skipped, next_due_at, created_at, updated_at, cancelled_at, finished_at, error_code,
  error_message`
const INSERT = `INSERT INTO bulks (id, channel, status, author_kind, author_id, spec, total,
    next_due_at, created_at, updated_at)
  VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $8)`
const INSERT_PAGE = `INSERT INTO bulk_recipients (bulk_id, page, contact_ids) VALUES ($1, $2, $3)`
const GET = `SELECT ${COLUMNS} FROM bulks WHERE id = $1`
const LOCK = `SELECT ${COLUMNS} FROM bulks WHERE id = $1 FOR UPDATE`
const UNFINISHED = `SELECT ${COLUMNS} FROM bulks WHERE finished_at IS NULL ORDER BY seq`
const PAGE = `SELECT contact_ids FROM bulk_recipients WHERE bulk_id = $1 AND page = $2`
const DELETE_PAGES = `DELETE FROM bulk_recipients WHERE bulk_id = $1`
const HAS_MESSAGE = `SELECT 1 AS one FROM messages WHERE bulk_id = $1 AND contact_id = $2`
const PROGRESS = `UPDATE bulks SET checked = $2, eligible = $3, skipped = $4, next_due_at = $5,
  updated_at = $6 WHERE id = $1`
const COUNTS = `SELECT status, count(*) AS n FROM messages WHERE bulk_id = $1 GROUP BY status`
const PENDING = `SELECT 1 AS one FROM messages WHERE bulk_id = $1 AND status IN ('queued', 'sending')
  LIMIT 1`
const FINISH = `UPDATE bulks SET status = $2, finished_at = $3, updated_at = $3 WHERE id = $1`
const CANCEL = `UPDATE bulks SET status = 'cancelled', cancelled_at = $2, updated_at = $2
  WHERE id = $1 AND status = 'running'`
const CANCELLABLE = `SELECT o.job_id AS "jobId", m.id AS "messageId"
  FROM messages m JOIN outbox o ON o.message_id = m.id
  WHERE m.bulk_id = $1 AND m.status IN ('queued', 'sending') AND o.lease_until <= $2
  LIMIT $3`
const FAIL = `UPDATE bulks SET status = 'failed', error_code = $2, error_message = $3,
  finished_at = $4, updated_at = $4 WHERE id = $1 AND finished_at IS NULL`

export async function getBulk(sql: Sql, id: string): Promise<BulkRecord | null> {
  const row = await sql.one<BulkRow>(GET, [id])
  return row ? toBulk(row) : null
}

/** Call inside a transaction: the row stays locked until it ends. */
export async function lockBulk(sql: Sql, id: string): Promise<BulkRecord | null> {
  const row = await sql.one<BulkRow>(LOCK, [id])
  return row ? toBulk(row) : null
}

export async function listUnfinished(sql: Sql): Promise<BulkRecord[]> {
  return (await sql.rows<BulkRow>(UNFINISHED)).map(toBulk)
}

export async function insertBulk(
  sql: Sql,
  b: Omit<NewBulk, 'contactIds'> & { total: number },
  now: string,
): Promise<void> {
  await sql.run(INSERT, [
    b.id,
    b.channel,
    b.author.kind,
    b.author.id,
    JSON.stringify(b.spec),
    b.total,
    b.next_due_at,
    now,
  ])
}

export async function insertRecipientPage(
  sql: Sql,
  bulkId: string,
  page: number,
  ids: readonly string[],
): Promise<void> {
  await sql.run(INSERT_PAGE, [bulkId, page, JSON.stringify(ids)])
}

export async function recipientPage(
  sql: Sql,
  bulkId: string,
  page: number,
): Promise<string[] | null> {
  const row = await sql.one<{ contact_ids: string }>(PAGE, [bulkId, page])
  if (!row) return null
  const ids = tryParse(row.contact_ids)
  if (!Array.isArray(ids))
    throw new CorruptRecord('bulk_recipients', `${bulkId}/${page}`, 'contact_ids')
  return ids as string[]
}

export async function deleteRecipientPages(sql: Sql, bulkId: string): Promise<void> {
  await sql.run(DELETE_PAGES, [bulkId])
}

export async function bulkHasMessageFor(
  sql: Sql,
  bulkId: string,
  contactId: string,
): Promise<boolean> {
  return (await sql.one(HAS_MESSAGE, [bulkId, contactId])) !== undefined
}

export async function saveBulkProgress(sql: Sql, bulkId: string, p: BulkProgress): Promise<void> {
  await sql.run(PROGRESS, [
    bulkId,
    p.checked,
    p.eligible,
    JSON.stringify(p.skipped),
    p.next_due_at,
    p.now,
  ])
}

export async function bulkCounts(sql: Sql, bulkId: string): Promise<BulkCounts> {
  const counts = Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, 0])) as BulkCounts
  const rows = await sql.rows<{ status: keyof BulkCounts; n: number }>(COUNTS, [bulkId])
  for (const r of rows) counts[r.status] = r.n
  return counts
}

export async function bulkHasPending(sql: Sql, bulkId: string): Promise<boolean> {
  return (await sql.one(PENDING, [bulkId])) !== undefined
}

export async function finishBulk(
  sql: Sql,
  bulkId: string,
  status: BulkStatus,
  now: string,
): Promise<void> {
  await sql.run(FINISH, [bulkId, status, now])
}

export async function cancelBulk(sql: Sql, bulkId: string, now: string): Promise<boolean> {
  return (await sql.run(CANCEL, [bulkId, now])) > 0
}

export async function failBulk(
  sql: Sql,
  bulkId: string,
  error: MessageError,
  now: string,
): Promise<boolean> {
  return (await sql.run(FAIL, [bulkId, error.code, error.message, now])) > 0
}

export async function cancellableJobs(
  sql: Sql,
  bulkId: string,
  nowMs: number,
  limit: number,
): Promise<{ jobId: number; messageId: string }[]> {
  return sql.rows(CANCELLABLE, [bulkId, nowMs, limit])
}

/** As SQLite's: a damaged JSON column reads as `{}` and is named in `unreadable`. */
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
