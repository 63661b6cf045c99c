/**
 * Keeps a channel's limits where a platform counts them: at the receiving end. The dispatcher
 * plans sends at the limit (`Pacer`), but a request leaves when the connector writes it — after a
 * connect, after a busy event loop — not when it was planned or handed over. Measured on a 2-core
 * VM: the first send on a fresh connection was written 31 ms after it was handed to the connector,
 * the next one (a pooled connection) 1.7 ms after, so two sends spaced 510 ms apart by the clock
 * arrived 482 ms apart, and three to one person at 2/s landed within 994 ms.
 *
 * So each send is stamped when its request is written (the connector calls
 * `OutboundPayload.onWrite`; one that cannot tell is stamped when it is handed over), and a send
 * may start only when, for each of its limits, the last `n` sends (n = the limit per second, at
 * least 1) started at least one window (`n` intervals: a second for a whole limit) plus a margin
 * ago. That is the receiver's own count — never more than the limit in any one-second window —
 * with the margin for what moves our sends closer together on the way (the network, the
 * receiver's own scheduling). If the send it counts against was handed over but is not written
 * yet (still connecting), it waits for that write. It also lets a send that woke late be followed
 * a little sooner (never closer than `MIN_GAP_SHARE` of an interval), so lateness does not add
 * up and the rate stays near the limit.
 */

/** One limit a send counts against: the channel, or the channel and recipient. */
export interface SpacingLimit {
  key: string
  /** The limit as configured (sends per second, no headroom). */
  perSecond: number
}

/** A send handed to its connector: the connector reports the write, the dispatcher the outcome. */
export interface StartedSend {
  /** The request is being written now (idempotent). */
  readonly written: () => void
  /** Whether `written` was called. */
  readonly wasWritten: () => boolean
  /**
   * Call right after handing the send over, when the connector may report its write: if it has not
   * yet (a new connection), a later send that counts against this one waits for the write, or for
   * the send to be over, at most `maxMs`.
   */
  expectWrite(maxMs: number): void
  /** The send is over (answer, error or abort): nobody waits for its write any more. */
  settled(): void
}

/**
 * Consecutive sends are never closer than this share of the interval: a send that woke late may be
 * followed sooner, up to half an interval, which absorbs the timer and event-loop lateness of a
 * loaded machine (a few ms a send, ≈ 6 % of the rate at 30/s if it added up) without bursts.
 * @internal exported for tests
 */
export const MIN_GAP_SHARE = 0.5
/** The window is checked over at most this many sends: limits above it (1 000/s) keep their average. */
const MAX_WINDOW = 1024
/**
 * A key is forgotten once its last send is this much older than its window (ms): it limits nothing
 * any more (margins stay far below), and a bulk to a million recipients leaves only the last
 * second's worth of them in memory.
 */
const FORGET_AFTER_MS = 1_000
/** Keys kept before forgetting is worth a scan, and the least time between two scans (ms). */
const SWEEP_ABOVE = 10_000
const SWEEP_EVERY_MS = 1_000

class StartWindow {
  /** How many sends the window counts: the limit per second, at least 1, at most MAX_WINDOW. */
  readonly size: number
  /**
   * The last `size` start times, a ring, grown as sends come (a recipient's first send allocates
   * one number, not `size`: at a limit of 1 000 a second to one recipient, a bulk to 100 000 of
   * them allocated 800 MB of windows for the collector).
   */
  readonly times: number[] = []
  /** Index of the oldest stamp once the ring is full: the one the next send counts against. */
  next = 0
  last = -Infinity
  /** Slots whose send is handed over but not written yet: settles once it is (or is over). */
  unwritten: Map<number, Promise<void>> | null = null

  constructor(readonly perSecond: number) {
    this.size = Math.min(MAX_WINDOW, Math.max(1, Math.floor(perSecond)))
  }

  get windowMs(): number {
    return (this.size * 1000) / this.perSecond
  }

  private get full(): boolean {
    return this.times.length === this.size
  }

  /** The earliest time (ms) a send may start, keeping `marginMs` more than the window. */
  readyAt(marginMs: number): number {
    const interval = 1000 / this.perSecond
    const gap = this.last + interval * MIN_GAP_SHARE
    if (!this.full) return gap
    return Math.max(gap, (this.times[this.next] ?? 0) + this.windowMs + marginMs)
  }

  /** The write the next send would count against, while it is not known. */
  blocking(): Promise<void> | undefined {
    return this.full ? this.unwritten?.get(this.next) : undefined
  }

  /** Records a start; returns its slot (to move it to the write time later). */
  push(at: number): number {
    const slot = this.full ? this.next : this.times.length
    this.times[slot] = at
    this.unwritten?.delete(slot)
    this.next = (slot + 1) % this.size
    this.last = Math.max(this.last, at)
    return slot
  }

  /** The send in `slot`, stamped `from`, was written at `at`: it counts from then. */
  moveTo(slot: number, from: number, at: number): void {
    if (this.times[slot] === from) this.times[slot] = Math.max(from, at)
    this.last = Math.max(this.last, at)
  }
}

export class WireSpacing {
  private readonly windows = new Map<string, StartWindow>()
  private lastSweep = 0

  /**
   * `marginMs`: how much longer than its window each limit's last `n` sends must span, read at
   * every check (it may follow the machine's load).
   */
  constructor(
    private readonly marginMs: () => number = () => 0,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Resolves when a send counting against `limits` looks free to start (then `tryStart`). */
  async ready(limits: readonly SpacingLimit[]): Promise<void> {
    for (;;) {
      const write = this.blocking(limits)
      if (write) {
        await write
        continue
      }
      const wait = this.delay(limits)
      if (wait <= 0) return
      await new Promise((r) => setTimeout(r, Math.ceil(wait)))
    }
  }

  /** Ms until a send counting against `limits` may start (≤ 0: now), writes awaited aside. */
  delay(limits: readonly SpacingLimit[]): number {
    const margin = this.marginMs()
    let at = -Infinity
    for (const l of limits) at = Math.max(at, this.window(l).readyAt(margin))
    return at - this.clock()
  }

  /**
   * Records a send starting now against `limits`, if it may (else null: wait with `ready` and try
   * again). Checking and recording in one synchronous step: two sends that both waited for the
   * same moment cannot both take it. Call right before handing the send to the connector.
   */
  tryStart(limits: readonly SpacingLimit[]): StartedSend | null {
    if (this.blocking(limits) || this.delay(limits) > 0) return null
    const now = this.clock()
    this.sweep(now)
    const slots = limits.map((l) => {
      const w = this.window(l)
      return { w, slot: w.push(now) }
    })
    let written = false
    let release: (() => void) | null = null
    const moveAll = (at: number) => {
      for (const s of slots) s.w.moveTo(s.slot, now, at)
    }
    return {
      written: () => {
        if (written) return
        written = true
        moveAll(this.clock())
        release?.()
      },
      wasWritten: () => written,
      expectWrite: (maxMs) => {
        if (written || release) return
        const write = new Promise<void>((resolve) => {
          release = () => {
            clearTimeout(timer)
            for (const s of slots)
              if (s.w.unwritten?.get(s.slot) === write) s.w.unwritten.delete(s.slot)
            resolve()
          }
        })
        // Not written in time (a connect that hangs): count it as leaving now and go on.
        const timer = setTimeout(() => {
          moveAll(this.clock())
          release?.()
        }, maxMs)
        for (const s of slots) (s.w.unwritten ??= new Map()).set(s.slot, write)
      },
      settled: () => release?.(),
    }
  }

  /** Keys remembered (for tests: idle ones are forgotten). */
  get size(): number {
    return this.windows.size
  }

  private blocking(limits: readonly SpacingLimit[]): Promise<void> | undefined {
    for (const l of limits) {
      const write = this.window(l).blocking()
      if (write) return write
    }
    return undefined
  }

  private window(l: SpacingLimit): StartWindow {
    let w = this.windows.get(l.key)
    if (!w || w.perSecond !== l.perSecond) {
      // A new key, or a reload changed the rate: the last start still counts for the gap.
      const fresh = new StartWindow(l.perSecond)
      if (w && w.last > -Infinity) fresh.push(w.last)
      this.windows.set(l.key, (w = fresh))
    }
    return w
  }

  private sweep(now: number): void {
    if (this.windows.size < SWEEP_ABOVE || now - this.lastSweep < SWEEP_EVERY_MS) return
    this.lastSweep = now
    for (const [k, w] of this.windows) {
      if (now - w.last > w.windowMs + FORGET_AFTER_MS) this.windows.delete(k)
    }
  }
}
