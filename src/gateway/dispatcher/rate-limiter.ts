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
    const next = up(atMs + this.intervalMs)
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

/**
 * A channel's strict spacing with the gaps between reservations usable: a send may take any time
 * at least an interval away from every slot reserved, also one before a slot reserved further
 * ahead. A "next free" cursor (`Pacer`) left the channel idle until a slot reserved up to a second
 * ahead — one recipient at its own limit (1/s) held every other recipient back for most of each
 * second (P6: 19 sends a second at a limit of 30). Slots pairwise an interval apart put at most
 * `perSecond` of them in any one-second window, as the cursor did.
 */
export class SlotSchedule {
  /** Reserved slots (ms), ascending, from `head` on (those before it have passed). */
  private slots: number[] = []
  private head = 0

  constructor(private perSecond: number) {}

  setRate(perSecond: number): void {
    this.perSecond = perSecond
  }

  get intervalMs(): number {
    return 1000 / this.perSecond
  }

  /** The earliest time (ms) at or after `fromMs` an interval away from every reserved slot. */
  nextFree(fromMs: number, nowMs: number): number {
    this.forget(nowMs)
    const gap = this.intervalMs
    let at = Math.max(fromMs, nowMs)
    for (let i = this.firstAfter(at - gap); i < this.slots.length; i++) {
      const s = this.slots[i] as number
      if (s >= at + gap) break // room before this one
      at = up(s + gap)
    }
    return at
  }

  /** Reserves the slot at `atMs` (found by `nextFree`). */
  reserve(atMs: number): void {
    const i = this.firstAfter(atMs)
    if (i === this.slots.length) this.slots.push(atMs)
    else this.slots.splice(i, 0, atMs)
  }

  /** Index of the first slot after `ms` (from `head`). */
  private firstAfter(ms: number): number {
    let lo = this.head
    let hi = this.slots.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.slots[mid] as number) <= ms) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Slots more than an interval past no longer constrain anything: dropped, in chunks. */
  private forget(nowMs: number): void {
    this.head = this.firstAfter(nowMs - this.intervalMs)
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head)
      this.head = 0
    }
  }
}

/**
 * Rounded up to 1/1024 ms (exact in binary floating point): float drift must never let one more
 * send into a one-second window. Not to whole ms: that capped every channel at 1 000/s.
 */
function up(ms: number): number {
  return Math.ceil(ms * 1024) / 1024
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
