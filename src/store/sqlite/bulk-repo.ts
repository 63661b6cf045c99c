/**
 * Bulk jobs (DESIGN §1.6, §3): the job row, its recipient snapshot, the facts the rules need for a
 * chunk of recipients, and the chunk itself applied in one transaction — each recipient's plan
 * exactly as a single send's (accept-plan.ts), the counts and the resume cursor moved with it, so
 * a crash between chunks resumes where the last commit left off and a crash inside one undoes it
 * whole. Lists of ids go in as one JSON parameter (`json_each`), which is why this file lives in
 * the SQLite folder.
 */
import type {
  BulkChunk,
  BulkCounts,
  BulkRecipientFacts,
  BulkRecord,
  BulkStatus,
  MessageError,
  NewBulk,
  NewEvent,
  Store,
} from '../types.js'
import { CorruptRecord, StoreConflict } from '../types.js'
import { applyAcceptPlan, PlanOutcome, type AcceptDeps } from './accept-plan.js'
import { toContact, toIdentity, toThread, tryParse } from './rows.js'
import type { ContactRow, IdentitiesTable, ThreadRow } from './schema.js'
import type { SearchIndex } from './search-index.js'

type BulkApi = Store['bulk']

/** Ids per snapshot row: ≈ 30 KB of JSON, so a 100 000-recipient job is 100 small inserts. */
export const RECIPIENT_PAGE = 1000

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
const CONTACTS = `SELECT * FROM contacts WHERE id IN (SELECT value FROM json_each(?))`
// `+channel`: look identities up by contact (a few rows each), never by channel (all of them).
const IDENTITIES = `SELECT * FROM identities
  WHERE contact_id IN (SELECT value FROM json_each(?)) AND +channel = ?`
const ACTIVE_THREADS = `SELECT * FROM threads
  WHERE contact_id IN (SELECT value FROM json_each(?)) AND status IN ('open', 'snoozed')`
const TAGS = `SELECT thread_id, tag FROM thread_tags
  WHERE thread_id IN (SELECT value FROM json_each(?)) ORDER BY tag`
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
const DELETE_JOB = `DELETE FROM outbox WHERE job_id = ?`
const CANCELLED = `UPDATE messages SET status = 'cancelled', cancelled_at = ?
  WHERE id = ? AND status IN ('queued', 'sending')`
const FAIL = `UPDATE bulks SET status = 'failed', error_code = ?, error_message = ?,
  finished_at = ?, updated_at = ? WHERE id = ? AND finished_at IS NULL`

export class BulkRepo implements BulkApi {
  private readonly x: AcceptDeps['x']

  constructor(
    private readonly deps: AcceptDeps,
    private readonly index: Pick<SearchIndex, 'batch' | 'undoable'>,
  ) {
    this.x = deps.x
  }

  create(b: NewBulk, now: string): BulkRecord {
    return this.x.tx(() => {
      this.x
        .stmt(INSERT)
        .run(
          b.id,
          b.channel,
          b.author.kind,
          b.author.id,
          JSON.stringify(b.spec),
          b.contactIds.length,
          b.next_due_at,
          now,
          now,
        )
      for (let page = 0; page * RECIPIENT_PAGE < b.contactIds.length; page++) {
        const ids = b.contactIds.slice(page * RECIPIENT_PAGE, (page + 1) * RECIPIENT_PAGE)
        this.x.stmt(INSERT_PAGE).run(b.id, page, JSON.stringify(ids))
      }
      return this.mustGet(b.id)
    })
  }

  get(id: string): BulkRecord | null {
    const row = this.x.stmt(GET).get(id) as BulkRow | undefined
    return row ? toBulk(row) : null
  }

  listUnfinished(): BulkRecord[] {
    return (this.x.stmt(UNFINISHED).all() as BulkRow[]).map(toBulk)
  }

  recipients(id: string, from: number, limit: number): string[] {
    const out: string[] = []
    const end = from + limit
    for (let page = Math.floor(from / RECIPIENT_PAGE); page * RECIPIENT_PAGE < end; page++) {
      const row = this.x.stmt(PAGE).get(id, page) as { contact_ids: string } | undefined
      if (!row) break
      const ids = tryParse(row.contact_ids)
      if (!Array.isArray(ids) || !ids.every((x): x is string => typeof x === 'string'))
        throw new CorruptRecord('bulk_recipients', `${id}/${page}`, 'contact_ids')
      const base = page * RECIPIENT_PAGE
      out.push(...ids.slice(Math.max(0, from - base), end - base))
    }
    return out
  }

  facts(contactIds: readonly string[], channel: string): Map<string, BulkRecipientFacts> {
    const ids = JSON.stringify(contactIds)
    const out = new Map<string, BulkRecipientFacts>()
    for (const row of this.x.stmt(CONTACTS).all(ids) as ContactRow[]) {
      out.set(row.id, { contact: toContact(row), identity: null, activeThreads: [] })
    }
    for (const row of this.x.stmt(IDENTITIES).all(ids, channel) as IdentitiesTable[]) {
      const f = out.get(row.contact_id)
      // Oldest first, like listByContact: there is one per (contact, channel) in practice.
      if (f && (f.identity === null || row.created_at < f.identity.created_at))
        f.identity = toIdentity(row)
    }
    // Newest first, as listActiveByContact (sorted here: the index has no seq order per contact).
    const threads = (this.x.stmt(ACTIVE_THREADS).all(ids) as ThreadRow[]).sort(
      (a, b) => b.seq - a.seq,
    )
    if (threads.length === 0) return out
    const tags = new Map<string, string[]>()
    const tagRows = this.x.stmt(TAGS).all(JSON.stringify(threads.map((t) => t.id))) as {
      thread_id: string
      tag: string
    }[]
    for (const r of tagRows) tags.set(r.thread_id, [...(tags.get(r.thread_id) ?? []), r.tag])
    for (const t of threads)
      out.get(t.contact_id)?.activeThreads.push(toThread(t, tags.get(t.id) ?? []))
    return out
  }

  /**
   * The gateway decided each plan on facts read in the same synchronous step, so a plan almost
   * never conflicts here: the chunk first runs without a savepoint per plan (they cost as much
   * as the inserts), and only if a plan throws is the whole chunk rolled back and run again with
   * one, so the conflicting recipient alone is skipped.
   */
  applyChunk(c: BulkChunk): BulkRecord | null {
    return this.withoutFsync(() => {
      try {
        return this.applyChunkOnce(c, false)
      } catch (error) {
        if (!(error instanceof PlanOutcome || error instanceof StoreConflict)) throw error
        return this.applyChunkOnce(c, true)
      }
    })
  }

  /**
   * Commits without an fsync of its own (synchronous=NORMAL for this call only: the 400 fsyncs
   * of a 100 000-recipient bulk cost ≈ 2 s of its ≈ 8). Safe: none of a chunk's messages can be sent before the
   * dispatcher leases it, and that lease commits with an fsync, which makes everything before it
   * in the WAL durable too. A power cut before then loses the chunk whole, cursor included, and
   * the runner does it again — never half, never twice. A process crash loses nothing.
   */
  private withoutFsync<T>(fn: () => T): T {
    const db = this.x.db
    // SQLite refuses to change it inside a transaction; the caller's commit decides then.
    if (db.inTransaction) return fn()
    const was = db.pragma('synchronous', { simple: true }) as number
    db.pragma('synchronous = NORMAL')
    try {
      return fn()
    } finally {
      db.pragma(`synchronous = ${was}`)
    }
  }

  private applyChunkOnce(c: BulkChunk, savepoints: boolean): BulkRecord | null {
    return this.x.tx(() =>
      this.index.batch(() => {
        const row = this.x.stmt(GET).get(c.bulkId) as BulkRow | undefined
        if (!row || row.status !== 'running' || row.checked !== c.from) return null
        const skipped = parseCounts(row.skipped, row.id)
        const skip = (code: string, n = 1) => (skipped[code] = (skipped[code] ?? 0) + n)
        for (const [code, n] of Object.entries(c.skipped)) skip(code, n)
        let eligible = row.eligible
        for (const plan of c.plans) {
          const contactId =
            'existing' in plan.contact ? plan.contact.existing : plan.contact.create.id
          if (this.x.stmt(HAS_MESSAGE).get(c.bulkId, contactId) !== undefined) continue
          if (!savepoints) {
            applyAcceptPlan(this.deps, plan)
            eligible++
            continue
          }
          try {
            this.index.undoable(() => this.x.tx(() => applyAcceptPlan(this.deps, plan)))
            eligible++
          } catch (error) {
            if (error instanceof PlanOutcome)
              skip(error.outcome.ok ? 'internal' : error.outcome.code)
            else if (error instanceof StoreConflict) skip(error.code)
            else throw error
          }
        }
        this.x
          .stmt(PROGRESS)
          .run(c.to, eligible, JSON.stringify(skipped), c.next_due_at, c.now, c.bulkId)
        return this.mustGet(c.bulkId)
      }),
    )
  }

  counts(id: string): BulkCounts {
    const counts: BulkCounts = {
      queued: 0,
      sending: 0,
      sent: 0,
      delivered: 0,
      read: 0,
      failed: 0,
      cancelled: 0,
    }
    for (const r of this.x.stmt(COUNTS).all(id) as { status: keyof BulkCounts; n: number }[]) {
      counts[r.status] = r.n
    }
    return counts
  }

  finish(
    id: string,
    now: string,
    events: (b: BulkRecord, counts: BulkCounts) => NewEvent[],
  ): BulkRecord | null {
    return this.x.tx(() => {
      const row = this.x.stmt(GET).get(id) as BulkRow | undefined
      if (!row || row.finished_at !== null) return null
      if (row.status === 'running' && row.checked < row.total) return null
      if (this.x.stmt(PENDING).get(id) !== undefined) return null
      const status: BulkStatus = row.status === 'running' ? 'done' : (row.status as BulkStatus)
      this.x.stmt(FINISH).run(status, now, now, id)
      this.x.stmt(DELETE_PAGES).run(id)
      const done = this.mustGet(id)
      this.deps.queue.enqueue(events(done, this.counts(id)))
      return done
    })
  }

  cancel(id: string, now: string): BulkRecord | null {
    return this.x.tx(() => {
      this.x.stmt(CANCEL).run(now, now, id)
      return this.get(id)
    })
  }

  /** Jobs under a live lease are being sent and are left alone, like `outbox.cancel`. */
  cancelPending(id: string, at: string, nowMs: number, limit: number): number {
    return this.x.tx(() => {
      const jobs = this.x.stmt(CANCELLABLE).all(id, nowMs, limit) as {
        jobId: number
        messageId: string
      }[]
      for (const j of jobs) {
        this.x.stmt(DELETE_JOB).run(j.jobId)
        this.x.stmt(CANCELLED).run(at, j.messageId)
      }
      return jobs.length
    })
  }

  fail(
    id: string,
    now: string,
    error: MessageError,
    events: (b: BulkRecord, counts: BulkCounts) => NewEvent[],
  ): BulkRecord | null {
    return this.x.tx(() => {
      if (this.x.stmt(FAIL).run(error.code, error.message, now, now, id).changes === 0) return null
      this.x.stmt(DELETE_PAGES).run(id)
      const failed = this.mustGet(id)
      this.deps.queue.enqueue(events(failed, this.counts(id)))
      return failed
    })
  }

  private mustGet(id: string): BulkRecord {
    const b = this.get(id)
    if (!b) throw new Error(`bulk ${id} vanished inside its own transaction`)
    return b
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

function parseCounts(text: string, id: string): Record<string, number> {
  const v = tryParse(text)
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, number>
  throw new CorruptRecord('bulks', id, 'skipped')
}
