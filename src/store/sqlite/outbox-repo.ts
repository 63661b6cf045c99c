/**
 * The send queue's reads and its lease (DESIGN §2, §8). A job is leasable when max(due_at,
 * lease_until) <= now, so an expired lease is simply due again: no recovery scan at start-up, and
 * one index (outbox_ready) serves both. Leasing is one UPDATE … RETURNING for a batch per priority
 * (single sends first), in one synchronous transaction with the messages marked `sending` and read
 * (with their attachments and their contacts' names) for the dispatcher, a statement each for the
 * whole batch.
 */
import type { ContactName, OutboxJob } from '../types.js'
import type { Executor } from './executor.js'
import type { MessageRepo } from './message-repo.js'
import type { MessageRow } from './schema.js'
import { PRIORITY } from './outbox-rows.js'
import { fromStatuses } from './status-sql.js'

const LEASE_ORDER = [PRIORITY.single, PRIORITY.bulk]

/**
 * One priority's due jobs (one range of outbox_ready); run per priority, in LEASE_ORDER. Only bulk
 * jobs look up their message's bulk id (one index probe each; single sends never have one): the
 * dispatcher checks it against the cancelled bulks right before each send.
 * @internal exported for its tests
 */
export const LEASE_SQL = `UPDATE outbox SET lease_until = ? WHERE job_id IN (
    SELECT job_id FROM outbox WHERE priority = ? AND max(due_at, lease_until) <= ?
    ORDER BY max(due_at, lease_until) LIMIT ?)
  RETURNING job_id AS jobId, message_id AS messageId, channel, recipient_key AS recipientKey,
    attempts, due_at AS dueAt,
    CASE WHEN priority = ${PRIORITY.bulk} THEN
      (SELECT bulk_id FROM messages WHERE messages.id = outbox.message_id) END AS bulkId`
// Marked here rather than by the dispatcher: saves a write per message. The first time is kept.
// Then the messages are read (marked or not: a retry, a lease that expired, is `sending`
// already): the dispatcher sends from them (OutboxJob.message), so a message is read once for its
// send and its outcome. A read per job cost more than the batch's one statement (P2's profile: the
// three reads a job were 15 % of the daemon's time).
const IDS = 'SELECT value FROM json_each(?)'
const MARK_SENDING = `UPDATE messages SET status = 'sending', sending_at = coalesce(sending_at, ?)
  WHERE id IN (${IDS}) AND status IN (${fromStatuses('sending')})`
const MESSAGES = `SELECT * FROM messages WHERE id IN (${IDS})`
// The names of the messages' contacts (for the payload), by the ids the messages named.
const CONTACT_NAMES = `SELECT id, first_name, last_name FROM contacts WHERE id IN (${IDS})`
const DEPTH = `SELECT count(*) AS n FROM outbox`
/** @internal exported for its tests */
export const NEXT_DUE_SQL = `SELECT min(t) AS t FROM (
    SELECT * FROM (SELECT max(due_at, lease_until) AS t FROM outbox WHERE priority = 0
      ORDER BY max(due_at, lease_until) LIMIT 1)
    UNION ALL
    SELECT * FROM (SELECT max(due_at, lease_until) AS t FROM outbox WHERE priority = 1
      ORDER BY max(due_at, lease_until) LIMIT 1))`

/**
 * The lease and next-due reads without the jobs of some channels (stateful channels another
 * daemon owns, DESIGN §10). Only on a shared store: SQLite has one daemon, which owns every
 * channel, so the statements above run as they were; these exist so both dialects keep one
 * contract.
 */
const NOT_SKIPPED = 'channel NOT IN (SELECT value FROM json_each(?))'
const LEASE_SKIP_SQL = LEASE_SQL.replace(
  'AND max(due_at, lease_until) <= ?',
  `AND max(due_at, lease_until) <= ? AND ${NOT_SKIPPED}`,
)
const NEXT_DUE_SKIP_SQL = NEXT_DUE_SQL.replaceAll(
  /WHERE priority = (\d)/g,
  `WHERE priority = $1 AND ${NOT_SKIPPED}`,
)

export class OutboxRepo {
  constructor(
    private readonly x: Executor,
    private readonly messages: Pick<MessageRepo, 'hydrate'>,
  ) {}

  /** Call inside a transaction: the lease and the `sending` marks commit together. */
  lease(nowMs: number, limit: number, leaseMs: number, skip: readonly string[] = []): OutboxJob[] {
    const jobs: OutboxJob[] = []
    for (const priority of LEASE_ORDER) {
      if (jobs.length >= limit) break
      const got = (
        skip.length === 0
          ? this.x.stmt(LEASE_SQL).all(nowMs + leaseMs, priority, nowMs, limit - jobs.length)
          : this.x
              .stmt(LEASE_SKIP_SQL)
              .all(nowMs + leaseMs, priority, nowMs, JSON.stringify(skip), limit - jobs.length)
      ) as OutboxJob[]
      jobs.push(...got.sort((a, b) => a.dueAt - b.dueAt || a.jobId - b.jobId))
    }
    if (jobs.length === 0) return jobs
    const ids = JSON.stringify(jobs.map((j) => j.messageId))
    this.x.stmt(MARK_SENDING).run(new Date(nowMs).toISOString(), ids)
    const rows = this.x.stmt(MESSAGES).all(ids) as MessageRow[]
    const messages = new Map(this.messages.hydrate(rows).map((m) => [m.id, m]))
    const contactIds = JSON.stringify([...new Set(rows.map((r) => r.contact_id))])
    const names = this.x.stmt(CONTACT_NAMES).all(contactIds) as (ContactName & { id: string })[]
    const nameOf = new Map(names.map(({ id, ...n }) => [id, n]))
    // A message that is gone (erased meanwhile) is null: the dispatcher fails its job.
    return jobs.map((j) => {
      const message = messages.get(j.messageId) ?? null
      return { ...j, message, contact: message ? (nameOf.get(message.contact_id) ?? null) : null }
    })
  }

  depth(): number {
    return (this.x.stmt(DEPTH).get() as { n: number }).n
  }

  /** When the next job becomes leasable: its due time, or the end of its lease if one is live. */
  nextDue(skip: readonly string[] = []): number | null {
    const list = JSON.stringify(skip)
    const row = (
      skip.length === 0
        ? this.x.stmt(NEXT_DUE_SQL).get()
        : this.x.stmt(NEXT_DUE_SKIP_SQL).get(list, list)
    ) as { t: number | null } | undefined
    return row?.t ?? null
  }
}
