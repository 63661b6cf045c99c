/**
 * Leasing: up to `count` due outbox jobs are taken for `dispatcher.lease_ms`. A job whose send
 * never records an outcome (a crash) comes due again when its lease expires, so nothing is
 * stranded. With nothing due, the answer says how long the loop may sleep. A stateful channel
 * owned by another daemon is never leased here.
 */
import type { OutboxJob } from '../../store/types.js'
import type { Services } from '../services.js'

/** Upper bound on the idle poll, so jobs made due by another path (lease expiry) are seen. */
export const IDLE_POLL_MS = 500

/** Jobs leased now, or how long to sleep before the next lease (`idleMs`). */
export type Lease = { jobs: OutboxJob[] } | { idleMs: number }

/** One lease of at most `count` jobs. A store error is reported to the store faults and thrown. */
export async function leaseDue(svc: Services, count: number, nowMs = Date.now()): Promise<Lease> {
  const cfg = svc.config().dispatcher
  let jobs: OutboxJob[]
  let due: number | null = null
  // Stateful channels another daemon owns: their jobs are its to send (DESIGN §10).
  const skip = svc.channels.ownedElsewhere()
  try {
    jobs = await svc.store.outbox.lease(nowMs, Math.min(cfg.batch, count), cfg.lease_ms, skip)
    if (jobs.length === 0) due = await svc.store.outbox.nextDue(skip)
  } catch (err) {
    svc.storeFaults.report(err, 'leasing outbox jobs')
    throw err
  }
  if (jobs.length > 0) return { jobs }
  return {
    idleMs: due === null ? IDLE_POLL_MS : Math.min(IDLE_POLL_MS, Math.max(0, due - Date.now())),
  }
}
