/**
 * The bulks cancelled but not finished yet — those that may still have messages under the
 * dispatcher's lease (a leased batch, a job held in memory for its rate slot, a retry coming
 * back). The runner adds a bulk when it cancels it, before the cancel answers, and removes it when
 * the bulk finishes; the dispatcher checks a bulk job's bulk id here right before each send, so
 * after the answer nothing of the bulk leaves but what was already on the wire. One `Set` lookup
 * a bulk send (none for a single send): nothing on the hot path.
 *
 * Loaded from the store when first used (at start-up: a bulk cancelled before a restart still has
 * its leased jobs come due again). With several daemons on one PostgreSQL (DESIGN §10) a cancel
 * answered by one daemon stops the others' sends too, in two ways: the cancel goes out on the live
 * bus (a `bulk.progress` event with status `cancelled`, which crosses daemons over LISTEN/NOTIFY),
 * so every daemon's set has it within a moment; and, because a notification may arrive after the
 * answer, a bulk job on such a store is also `confirm`ed from the store right before its hand-over:
 * one read of the bulk's row for all the sends asking in one event-loop turn (bulk sends are paced
 * well below the channel's rate, so this is a few reads a second, and none for single sends).
 */
import type { Store } from '../../store/types.js'
import type { LiveBus, LiveEvent } from '../live/bus.js'
import type { Services } from '../services.js'

interface Asking {
  bulkIds: Set<string>
  done: Promise<void>
}

export class CancelledBulks {
  private readonly ids = new Set<string>()
  /** The read of the next turn, which sends may still join (none under way yet). */
  private asking: Asking | null = null

  /** `shared`: the store several daemons share, read by `confirm` (absent: this set is the truth). */
  constructor(private readonly shared?: Pick<Store, 'bulk'>) {}

  /** Adds the stored bulks that are cancelled with messages still in flight (at start-up). */
  async load(store: Pick<Store, 'bulk'>): Promise<void> {
    for (const b of await store.bulk.listUnfinished()) if (b.status === 'cancelled') this.add(b.id)
  }

  /** Follows the cancels and finishes other daemons publish on the live bus. */
  follow(bus: LiveBus): () => void {
    return bus.subscribe((events) => {
      for (const e of events) this.seen(e)
    })
  }

  /** Whether `confirm` reads the store (a shared one), so is worth awaiting before a send. */
  get confirms(): boolean {
    return this.shared !== undefined
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

  /**
   * Whether the bulk is cancelled as the store says now (read after this call: a send that asks
   * after a cancel was committed sees it). Without a shared store, this set is the answer. A store
   * error rejects.
   */
  async confirm(bulkId: string): Promise<boolean> {
    if (this.ids.has(bulkId) || !this.shared) return this.ids.has(bulkId)
    const store = this.shared
    let a = this.asking
    if (!a) {
      const bulkIds = new Set<string>()
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.asking = null // from here on, askers wait for a read of their own
        const read = await Promise.all([...bulkIds].map((id) => store.bulk.get(id)))
        for (const b of read)
          if (b?.status === 'cancelled' && b.finished_at === null) this.add(b.id)
      })
      a = this.asking = { bulkIds, done }
    }
    a.bulkIds.add(bulkId)
    await a.done
    return this.ids.has(bulkId)
  }

  private seen(e: LiveEvent): void {
    const id = e.data.bulk_id
    if (typeof id !== 'string' || e.data.status !== 'cancelled') return
    if (e.type === 'bulk.progress') this.add(id)
    else if (e.type === 'bulk.done') this.delete(id)
  }
}

const sets = new WeakMap<Services, CancelledBulks>()

/** The set of a gateway (one per Services), shared by the bulk runner and the dispatcher. */
export function cancelledBulks(svc: Services): CancelledBulks {
  let s = sets.get(svc)
  if (!s) {
    // A store with notifications is one several daemons may share (DESIGN §10).
    s = new CancelledBulks(svc.store.notifications ? svc.store : undefined)
    s.follow(svc.live)
    sets.set(svc, s)
  }
  return s
}

/** Fills the gateway's set from the store: at start, before the dispatcher leases a job. */
export async function loadCancelledBulks(svc: Services): Promise<void> {
  await cancelledBulks(svc).load(svc.store)
}
