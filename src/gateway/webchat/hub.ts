/**
 * One live-bus subscription for all the web chat streams of a daemon, routed by visitor: with
 * 2 000 widgets open (DESIGN §8 P8), a bus listener per stream would run 2 000 filters for every
 * event of any contact; the hub looks each event's visitor up once.
 */
import type { LiveBus, LiveEvent } from '../live/bus.js'

type VisitorListener = (e: LiveEvent) => void

interface Hub {
  byVisitor: Map<string, Set<VisitorListener>>
  /** Streams subscribed, over all visitors. */
  streams: number
  unsubscribe: () => void
}

const hubs = new WeakMap<LiveBus, Hub>()

const visitorKey = (channel: unknown, contactId: unknown): string =>
  `${String(channel)}\u0000${String(contactId)}`

/**
 * Calls `listener` with each live event of the visitor `contactId` on `channel`, in publish order.
 * Returns the function that stops it; the bus subscription goes with the last stream.
 */
export function subscribeVisitor(
  bus: LiveBus,
  channel: string,
  contactId: string,
  listener: VisitorListener,
): () => void {
  let hub = hubs.get(bus)
  if (!hub) {
    const byVisitor = new Map<string, Set<VisitorListener>>()
    const unsubscribe = bus.subscribe((events) => {
      for (const e of events) {
        const own = byVisitor.get(visitorKey(e.data.channel, e.data.contact_id))
        if (own) for (const l of [...own]) l(e)
      }
    })
    hub = { byVisitor, streams: 0, unsubscribe }
    hubs.set(bus, hub)
  }
  const h = hub
  const key = visitorKey(channel, contactId)
  let own = h.byVisitor.get(key)
  if (!own) h.byVisitor.set(key, (own = new Set()))
  const mine: VisitorListener = (e) => listener(e)
  own.add(mine)
  h.streams += 1
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    h.streams -= 1
    own.delete(mine)
    if (own.size === 0) h.byVisitor.delete(key)
    if (h.byVisitor.size === 0) {
      h.unsubscribe()
      hubs.delete(bus)
    }
  }
}

/** The web chat streams open on this daemon's bus (`omnigate_webchat_streams` on `/metrics`). */
export function openVisitorStreams(bus: LiveBus): number {
  return hubs.get(bus)?.streams ?? 0
}
