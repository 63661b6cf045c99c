/**
 * Bulk jobs (DESIGN §1.6, §3): the recipient snapshot in pages, a chunk of recipients applied in
 * one transaction — each plan exactly as a single send's (accept.ts), the counts and the resume
 * cursor moved with it, so a crash between chunks resumes where the last commit left off and a
 * crash inside one undoes it whole — and the end of a bulk with its `bulk.done` event.
 */
import type {
  BulkChunk,
  BulkCounts,
  BulkRecord,
  BulkStatus,
  MessageError,
  NewBulk,
  NewEvent,
} from '../types.js'
import { CorruptRecord, StoreConflict } from '../types.js'
import { acceptPlan, PlanOutcome } from './accept.js'
import { withData } from './events.js'
import { inSavepoint, tx, type Program } from './program.js'

/**
 * Ids per snapshot row: ≈ 30 KB of JSON, so a 100 000-recipient job is 100 small inserts.
 * @internal exported for its tests
 */
export const RECIPIENT_PAGE = 1000

/** What `bulk.done` carries: the bulk as committed and its messages per status. */
function bulkSummary(b: BulkRecord, counts: BulkCounts): Record<string, unknown> {
  return {
    bulk_id: b.id,
    channel: b.channel,
    status: b.status,
    total: b.total,
    eligible: b.eligible,
    skipped: b.skipped,
    counts,
    created_at: b.created_at,
    finished_at: b.finished_at,
    error: b.error ?? null,
  }
}

export function* createBulk(b: NewBulk, now: string): Program<BulkRecord> {
  const { contactIds, ...job } = b
  yield* tx.insertBulk({ ...job, total: contactIds.length }, now)
  for (let page = 0; page * RECIPIENT_PAGE < contactIds.length; page++) {
    const ids = contactIds.slice(page * RECIPIENT_PAGE, (page + 1) * RECIPIENT_PAGE)
    yield* tx.insertRecipientPage(b.id, page, ids)
  }
  return yield* mustGet(b.id)
}

/** Contact ids at positions [from, from + limit) of the snapshot. */
export function* recipients(id: string, from: number, limit: number): Program<string[]> {
  const out: string[] = []
  const end = from + limit
  for (let page = Math.floor(from / RECIPIENT_PAGE); page * RECIPIENT_PAGE < end; page++) {
    const ids = yield* tx.recipientPage(id, page)
    if (!ids) break
    const base = page * RECIPIENT_PAGE
    out.push(...ids.slice(Math.max(0, from - base), end - base))
  }
  return out
}

/**
 * The gateway decided each plan on facts read just before, so a plan almost never conflicts here:
 * the chunk first runs without a savepoint per plan (they cost as much as the inserts), and only
 * if a plan conflicts is the chunk undone and run again with one, so the conflicting recipient
 * alone is skipped (counted by its code).
 */
export function* applyChunk(c: BulkChunk): Program<BulkRecord | null> {
  try {
    return yield* inSavepoint(chunk(c, false))
  } catch (error) {
    if (!(error instanceof PlanOutcome || error instanceof StoreConflict)) throw error
    return yield* chunk(c, true)
  }
}

function* chunk(c: BulkChunk, savepoints: boolean): Program<BulkRecord | null> {
  // Locked: a cancel committed meanwhile is seen here, or waits for this chunk (never lost).
  const b = yield* tx.lockBulk(c.bulkId)
  if (!b || b.status !== 'running' || b.checked !== c.from) return null
  if (b.unreadable?.includes('skipped')) throw new CorruptRecord('bulks', b.id, 'skipped')
  const skipped = { ...b.skipped }
  const skip = (code: string, n = 1) => (skipped[code] = (skipped[code] ?? 0) + n)
  for (const [code, n] of Object.entries(c.skipped)) skip(code, n)
  let eligible = b.eligible
  for (const plan of c.plans) {
    const contactId = 'existing' in plan.contact ? plan.contact.existing : plan.contact.create.id
    if (yield* tx.bulkHasMessageFor(c.bulkId, contactId)) continue
    if (!savepoints) {
      const out = yield* acceptPlan(plan)
      // A plan that answers without writing (a replay, stale) is not a conflict to redo for.
      if (out.ok) eligible++
      else skip(out.code)
      continue
    }
    try {
      const out = yield* inSavepoint(acceptPlan(plan))
      if (out.ok) eligible++
      else skip(out.code)
    } catch (error) {
      if (error instanceof PlanOutcome) skip(error.outcome.ok ? 'internal' : error.outcome.code)
      else if (error instanceof StoreConflict) skip(error.code)
      else throw error
    }
  }
  yield* tx.saveBulkProgress(c.bulkId, {
    checked: c.to,
    eligible,
    skipped,
    next_due_at: c.next_due_at,
    now: c.now,
  })
  return yield* mustGet(c.bulkId)
}

/**
 * Finishes the bulk when nothing of it is left to do (see Store.bulk.finish); its events are
 * queued with the finished bulk's summary.
 */
export function* finishBulk(
  id: string,
  now: string,
  events: readonly NewEvent[],
): Program<BulkRecord | null> {
  const b = yield* tx.getBulk(id)
  if (!b || b.finished_at !== null) return null
  if (b.status === 'running' && b.checked < b.total) return null
  if (yield* tx.bulkHasPending(id)) return null
  const status: BulkStatus = b.status === 'running' ? 'done' : b.status
  yield* tx.finishBulk(id, status, now)
  yield* tx.deleteRecipientPages(id)
  return yield* ended(id, events)
}

/** Ends an unfinished bulk as `failed` (see Store.bulk.fail). */
export function* failBulk(
  id: string,
  now: string,
  error: MessageError,
  events: readonly NewEvent[],
): Program<BulkRecord | null> {
  if (!(yield* tx.failBulk(id, error, now))) return null
  yield* tx.deleteRecipientPages(id)
  return yield* ended(id, events)
}

export function* cancelBulk(id: string, now: string): Program<BulkRecord | null> {
  yield* tx.cancelBulk(id, now)
  return yield* tx.getBulk(id)
}

/** Jobs under a live lease are being sent and are left alone, like `outbox.cancel`. */
export function* cancelPending(
  id: string,
  at: string,
  nowMs: number,
  limit: number,
): Program<number> {
  const jobs = yield* tx.cancellableJobs(id, nowMs, limit)
  for (const j of jobs) yield* tx.cancelLeasedJob(j.jobId, j.messageId, at)
  return jobs.length
}

function* ended(id: string, events: readonly NewEvent[]): Program<BulkRecord> {
  const b = yield* mustGet(id)
  if (events.length > 0) {
    const summary = bulkSummary(b, yield* tx.bulkCounts(id))
    yield* tx.enqueueEvents(withData(events, summary))
  }
  return b
}

function* mustGet(id: string): Program<BulkRecord> {
  const b = yield* tx.getBulk(id)
  if (!b) throw new Error(`bulk ${id} vanished inside its own transaction`)
  return b
}
