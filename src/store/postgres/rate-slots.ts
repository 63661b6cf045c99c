/**
 * Rate slots shared by the daemons on one PostgreSQL (DESIGN §10): `Store.pacing` of this
 * dialect, over `omnigate_reserve_slots` (migrations/006-rate-slots.ts).
 *
 * One clock: slots are reckoned on the daemons' wall clocks (epoch ms), the clock the outbox's
 * leases already share, passed with each call. On one machine every daemon reads the same clock,
 * exactly. The database's `clock_timestamp()` was tried first: each daemon must then turn a slot
 * into its own time by an offset measured over round trips, and on a loaded 2-core machine
 * (load 19) those estimates were up to 13 ms apart between two daemons of one machine — a third
 * of the margin the slots keep. Across machines, daemons need their clocks in sync (NTP): an
 * offset of d ms between two of them takes d ms of that margin (dispatcher/shared-slots.ts).
 *
 * Round trips: the sends asking in one event-loop turn, and those asking while a call is under
 * way, go together in the next call (one statement, one transaction), like group commit. Within a
 * call the sends are reserved in the order they asked (the function walks its arrays in order),
 * so a dispatcher that asks in lease order gives a lease's first jobs the earliest slots.
 */
import type { SharedLimit, SharedPacing, SharedSlot } from '../types.js'
import type { Sql } from './exec.js'

const RESERVE = `SELECT job, at, reserved FROM omnigate_reserve_slots($1::integer[], $2::text[],
    $3::double precision[], $4::double precision[], $5::boolean, $6::double precision)`

/**
 * Slots coordinate sends; they are not records: a call's commit does not wait for the WAL flush
 * (in the call's own implicit transaction). A server crash may forget the reservations of its
 * last moments (well under a second), after which daemons may send up to one window early once;
 * every accepted message, outcome and lease is still flushed before it counts. Without this each
 * call waited for a flush of its own, the largest part of a paced drain's time on PostgreSQL.
 */
const NO_FLUSH_WAIT = 'SET LOCAL synchronous_commit = off'

/** Sends reserved in one call at most: a longer queue waits for the next (a few ms). */
const BATCH_MAX = 256
/**
 * Each daemon asks a call to sweep idle keys at most this often (ms): a scan of the keys used in
 * the last minute, small next to the calls in between.
 */
const SWEEP_EVERY_MS = 10_000

interface Pending {
  limits: readonly SharedLimit[]
  holdMs: number
  leadMs: number
  resolve: (slot: SharedSlot) => void
  reject: (error: unknown) => void
}

/** The wall clock with sub-ms resolution (epoch ms). */
const wallNow = (): number => performance.timeOrigin + performance.now()

export function sharedPacing(sql: Sql): SharedPacing {
  let queue: Pending[] = []
  let busy = false
  let scheduled = false
  let lastSweep = -Infinity

  const flush = async (): Promise<void> => {
    scheduled = false
    if (busy || queue.length === 0) return
    busy = true
    const batch = queue.slice(0, BATCH_MAX)
    queue = queue.slice(batch.length)
    try {
      const job: number[] = []
      const keys: string[] = []
      const intervals: number[] = []
      const holds: number[] = []
      batch.forEach((p, i) => {
        for (const l of p.limits) {
          job.push(i)
          keys.push(l.key)
          intervals.push(l.intervalMs)
          holds.push(p.holdMs)
        }
      })
      // One "now" a call: a batch asks from its largest lead (the dispatcher uses one lead).
      const now = wallNow() + Math.max(0, ...batch.map((p) => p.leadMs))
      const sweep = now - lastSweep >= SWEEP_EVERY_MS
      if (sweep) lastSweep = now
      // One simple query of two statements: one implicit transaction, which SET LOCAL covers.
      const [, rows = []] = (await sql.many([
        [NO_FLUSH_WAIT, []],
        [RESERVE, [job, keys, intervals, holds, sweep, now]],
      ])) as [unknown[], { job: number; at: number; reserved: boolean }[]?]
      const byJob = new Map(rows.map((r) => [r.job, r]))
      batch.forEach((p, i) => {
        const r = byJob.get(i)
        // A send with no limits is free now (the function returns no row for it).
        p.resolve(r ? { at: r.at, reserved: r.reserved } : { at: now, reserved: true })
      })
    } catch (error) {
      for (const p of batch) p.reject(error)
    } finally {
      busy = false
      if (queue.length > 0) void flush()
    }
  }

  return {
    reserve: (limits, holdMs, leadMs = 0) =>
      new Promise<SharedSlot>((resolve, reject) => {
        queue.push({ limits, holdMs, leadMs, resolve, reject })
        if (!scheduled && !busy) {
          scheduled = true
          setImmediate(() => void flush())
        }
      }),
  }
}
