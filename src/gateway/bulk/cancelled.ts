/**
 * The bulks cancelled but not finished yet — those that may still have messages under the
 * dispatcher's lease (a leased batch, a job held in memory for its rate slot, a retry coming
 * back). The runner adds a bulk when it cancels it, before the cancel answers, and removes it when
 * the bulk finishes; the dispatcher checks a bulk job's bulk id here right before each send, so
 * after the answer nothing of the bulk leaves but what was already on the wire. One `Set` lookup
 * a bulk send (none for a single send): nothing on the hot path.
 *
 * Loaded from the store when first used (at start-up: a bulk cancelled before a restart still has
 * its leased jobs come due again). It is this process's view: with several daemons on one
 * PostgreSQL (DESIGN §10) a cancel answered by one daemon must stop the sends of the others, so
 * the set must then come from the store (refreshed with each lease, or pushed by LISTEN/NOTIFY)
 * rather than from this daemon's own cancels.
 */
import type { Store } from '../../store/types.js'
import type { Services } from '../services.js'

export class CancelledBulks {
  private readonly ids = new Set<string>()

  /** Adds the stored bulks that are cancelled with messages still in flight (at start-up). */
  async load(store: Pick<Store, 'bulk'>): Promise<void> {
    for (const b of await store.bulk.listUnfinished()) if (b.status === 'cancelled') this.add(b.id)
  }

  has(bulkId: string): boolean {
    return this.ids.has(bulkId)
  }

  add(bulkId: string): void {
    this.ids.add(bulkId)
  }

  /** The bulk finished: none of its messages is queued or sending any more. */
  delete(bulkId: string): void {
    this.ids.delete(bulkId)
  }
}

const sets = new WeakMap<Services, CancelledBulks>()

/** The set of a gateway (one per Services), shared by the bulk runner and the dispatcher. */
export function cancelledBulks(svc: Services): CancelledBulks {
  let s = sets.get(svc)
  if (!s) sets.set(svc, (s = new CancelledBulks()))
  return s
}

/** Fills the gateway's set from the store: at start, before the dispatcher leases a job. */
export async function loadCancelledBulks(svc: Services): Promise<void> {
  await cancelledBulks(svc).load(svc.store)
}
