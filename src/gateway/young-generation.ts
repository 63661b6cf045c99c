/**
 * V8's young generation through start-up and idle (DESIGN §8 P5, the idle footprint).
 *
 * Loading the daemon's modules allocates in bursts, and V8 grows the young generation's two
 * semi-spaces (doubling each time, up to 16 MB each on 64-bit) as it would for a busy program; it
 * never gives that memory back, so an idle daemon kept some 24–31 MB of new space holding a few
 * MB of objects (a heap snapshot of the idle daemon). `bin/omnigate.js` holds the growth factor at
 * 1 before it loads the daemon (the flag on node's own command line did not hold on Node 20), and
 * `serve` lets the young generation grow again, V8's default, once load lasts a few seconds: a
 * throughput-bound daemon wants it large (fewer scavenges, fewer objects promoted).
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'

/** Scavenges in each of LOAD_SECONDS seconds in a row that mean the daemon is under load. */
const LOAD_SCAVENGES = 10
/**
 * Seconds in a row: connectors starting (IMAP's first fetch, a mailbox's parse) make a second or
 * two of scavenges too, and one second of them let it grow with every connector configured.
 */
const LOAD_SECONDS = 3
/** V8's default: each growth doubles the semi-space. */
const DEFAULT_GROWTH_FACTOR = 2

/**
 * Lets the young generation grow as V8 would by default once LOAD_SCAVENGES scavenges happen in
 * each of LOAD_SECONDS whole seconds in a row. Returns a function that stops watching.
 */
export function releaseYoungGenerationUnderLoad(
  onRelease: () => void = () => undefined,
): () => void {
  /** Scavenges per whole second (of the performance clock), the latest LOAD_SECONDS of them. */
  const perSecond = new Map<number, number>()
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind
      if (kind !== constants.NODE_PERFORMANCE_GC_MINOR) continue
      const second = Math.floor(entry.startTime / 1000)
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1)
      for (const s of perSecond.keys()) if (s <= second - LOAD_SECONDS) perSecond.delete(s)
      let busy = 0
      for (let s = second - LOAD_SECONDS + 1; s <= second; s++)
        if ((perSecond.get(s) ?? 0) >= LOAD_SCAVENGES) busy++
      if (busy === LOAD_SECONDS) {
        setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`)
        observer.disconnect()
        onRelease()
        return
      }
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  return () => observer.disconnect()
}
