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

/**
 * Load is a scavenge in each of LOAD_SLOTS slots of SLOT_MS in a row: one second of steady work.
 * A busy daemon with the young generation held small scavenges every few ms (P7's drain: several
 * in each 100 ms). Start-up work comes in bursts instead: 10 scavenges in one whole second let it
 * grow at idle with every connector configured (the channels' connects; DESIGN §8 P5), which is
 * why the rule was 10 in each of 3 whole seconds in a row. That one held P7's drains (2–4 s from
 * the daemon's start) small for most of their run: 421 µs of the PostgreSQL daemon's CPU a
 * message, against 373 with the young generation grown from the start and 394 with this rule.
 * A first sync of a large mailbox, a second or more of steady parsing, now counts as load too.
 */
const SLOT_MS = 100
const LOAD_SLOTS = 10
/** V8's default: each growth doubles the semi-space. */
const DEFAULT_GROWTH_FACTOR = 2

/**
 * Lets the young generation grow as V8 would by default once a scavenge happens in each of
 * LOAD_SLOTS slots of SLOT_MS in a row. Returns a function that stops watching.
 */
export function releaseYoungGenerationUnderLoad(
  onRelease: () => void = () => undefined,
): () => void {
  /** The slot (of the performance clock) of the last scavenge; how many slots in a row had one. */
  let last = -Infinity
  let inRow = 0
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind
      if (kind !== constants.NODE_PERFORMANCE_GC_MINOR) continue
      const slot = Math.floor(entry.startTime / SLOT_MS)
      if (slot === last) continue
      inRow = slot === last + 1 ? inRow + 1 : 1
      last = slot
      if (inRow >= LOAD_SLOTS) {
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
