/**
 * How late this process's event loop runs lately: the worst lateness of a 10 ms probe timer in
 * the last second and in the one under way, decaying by half a second when the load goes. A machine busy enough to delay
 * our timers delays other processes' wake-ups as much — a receiver on the same machine stamps our
 * requests that much later, now one and now the next — so the dispatcher keeps this much more
 * margin between sends (wire-spacing.ts). Measured on a 2-core VM at load 13: receiver stamps up to
 * 66 ms behind our writes while our event loop ran 40–160 ms late (p99); idle, both under 2 ms.
 *
 * A probe of our own rather than `monitorEventLoopDelay`: resetting that histogram drops the next
 * sample, which is the one that holds a stall right after a read.
 */

/** The probe's period (ms): fine enough for lags of a few ms, 100 cheap wake-ups a second. */
const PROBE_MS = 10
/** The worst lateness is read over this long (ms), then starts afresh. */
const PERIOD_MS = 1000
/**
 * Never more margin than this (ms): a stall of seconds (a GC, a start-up) must not stop sending.
 * @internal exported for tests
 */
export const LAG_MAX_MS = 100

export class LoopLag {
  /** Worst lateness of the probe in the period under way (ms). */
  private worst = 0
  private value = 0
  private periodStart: number

  /** `clock` decides the periods (tests drive it); the probe itself runs on real time. */
  constructor(private readonly clock: () => number = () => performance.now()) {
    this.periodStart = clock()
    let expected = performance.now() + PROBE_MS
    // Unref'd: the probe never keeps the process alive.
    setInterval(() => {
      const now = performance.now()
      this.worst = Math.max(this.worst, now - expected)
      expected = now + PROBE_MS
    }, PROBE_MS).unref()
  }

  /** The recent lag (ms, 0 to `LAG_MAX_MS`). */
  current(): number {
    const now = this.clock()
    if (now - this.periodStart >= PERIOD_MS) {
      this.value = Math.max(this.worst, this.value / 2)
      this.worst = 0
      this.periodStart = now
    }
    // A stall in the period under way counts at once: the first second after a start too.
    return Math.min(LAG_MAX_MS, Math.max(this.value, this.worst))
  }
}

let shared: LoopLag | null = null

/** The process's one probe (a process has one event loop; tests start many gateways in one). */
export function loopLag(): LoopLag {
  return (shared ??= new LoopLag())
}
