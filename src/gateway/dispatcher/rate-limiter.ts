/**
 * Rate limits as schedules. `Pacer` spaces events at least 1/rate apart (no burst), which is what
 * "never above the platform's limit at the receiving end" needs: a token bucket would let a full
 * bucket out at once and exceed a per-second limit measured over any one-second window.
 * `TokenBucket` allows bursts and serves the API's own limit, where bursts are fine.
 */

/**
 * Spaces events `1000 / perSecond` ms apart, per key, by handing out future slots: the caller asks
 * for the next free slot of every limit that applies, takes the latest, and reserves it in each.
 */
export class Pacer {
  private readonly next = new Map<string, number>()
  private lastSweep = 0

  constructor(private perSecond: number) {}

  setRate(perSecond: number): void {
    this.perSecond = perSecond
  }

  get intervalMs(): number {
    return 1000 / this.perSecond
  }

  /** The earliest time (ms) `key` may go, never before `nowMs`. */
  nextFree(key: string, nowMs: number): number {
    return Math.max(this.next.get(key) ?? 0, nowMs)
  }

  /** Reserves the slot at `atMs` for `key` (the next one is an interval later). */
  reserve(key: string, atMs: number): void {
    // Rounded up to 1/1024 ms (exact in binary floating point): float drift must never let one
    // more send into a one-second window. Not to whole ms: that capped every channel at 1 000/s.
    const next = Math.ceil((atMs + this.intervalMs) * 1024) / 1024
    this.next.set(key, Math.max(this.next.get(key) ?? 0, next))
    this.sweep(atMs)
  }

  /** Forgets keys whose slot has passed, so a million recipients don't stay in memory. */
  private sweep(nowMs: number): void {
    if (this.next.size < 10_000 || nowMs - this.lastSweep < 10_000) return
    this.lastSweep = nowMs
    for (const [k, at] of this.next) if (at <= nowMs) this.next.delete(k)
  }
}

/** Classic token bucket per key: `burst` tokens, refilled at `perSecond`. */
export class TokenBucket {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private perSecond: number,
    private burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  configure(perSecond: number, burst: number): void {
    this.perSecond = perSecond
    this.burst = burst
  }

  /** Takes a token: 0 when allowed, else the ms until one is available. */
  take(key: string): number {
    const now = this.now()
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond)
    b.at = now
    this.buckets.set(key, b)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return ((1 - b.tokens) / this.perSecond) * 1000
  }
}

/**
 * A channel's schedule for jobs that wait in the store: how many sends are planned in each
 * time bucket, so a job can be given a due time in the first bucket with room — even one before a
 * slot already planned further ahead (a "next free" cursor would make one recipient's far-off
 * turn hold back every other recipient). The strict `Pacer` still spaces the actual sends.
 */
export class SlotCalendar {
  private readonly planned = new Map<number, number>()
  private lastSweep = 0

  constructor(private perSecond: number) {}

  setRate(perSecond: number): void {
    this.perSecond = perSecond
  }

  private get bucketMs(): number {
    return this.perSecond >= 1 ? 1000 : Math.ceil(1000 / this.perSecond)
  }

  private get capacity(): number {
    return Math.max(1, Math.floor((this.perSecond * this.bucketMs) / 1000))
  }

  /** Plans one send at or after `fromMs`; returns its due time. */
  plan(fromMs: number): number {
    const size = this.bucketMs
    let b = Math.floor(fromMs / size)
    while ((this.planned.get(b) ?? 0) >= this.capacity) b++
    this.planned.set(b, (this.planned.get(b) ?? 0) + 1)
    this.sweep(fromMs)
    return Math.max(fromMs, b * size)
  }

  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweep < 10_000) return
    this.lastSweep = nowMs
    const current = Math.floor(nowMs / this.bucketMs)
    for (const b of this.planned.keys()) if (b < current - 1) this.planned.delete(b)
  }
}
