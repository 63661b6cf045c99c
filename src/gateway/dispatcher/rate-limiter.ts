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
    const fit = gap - SLOT_SLACK_MS
    let at = Math.max(fromMs, nowMs)
    for (let i = this.firstAfter(at - fit); i < this.slots.length; i++) {
      const s = this.slots[i] as number
      if (s >= at + fit) break // room before this one
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

  /** Frees the slot reserved at `atMs` (its job is about to take it or another one). */
  release(atMs: number): void {
    const i = this.firstAfter(atMs) - 1
    if (i >= this.head && this.slots[i] === atMs) this.slots.splice(i, 1)
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
 * What two of `SlotSchedule`'s slots may lack of a whole interval: slots are rounded up (`up`),
 * and a recipient's turn, an exact number of the channel's intervals after a send, must not miss
 * the channel's slot at that time by a rounding (P6 lost one send a second so). A few µs are
 * nothing against the 2 % below each limit that sends are planned at (channel-pacing.ts).
 */
const SLOT_SLACK_MS = 1 / 64

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
 * A channel's schedule for jobs that wait in the store: a grid of cells, each with room for as
 * many sends as the rate allows in it, so a job gets a due time near its own slot — in the first
 * cell with room at or after the time it asks for, also before cells already planned further
 * ahead (a "next free" cursor would make one recipient's far-off turn hold back every other
 * recipient). A cell is one interval at low rates and at least `MIN_CELL_MS` at high ones, so
 * jobs come back from the store in batches a lease can take, not one a millisecond. Whole
 * seconds made a second's jobs all come due at its start, ahead of a recipient's turn planned a
 * few ms into it. "First cell with room" is a union-find over the full cells (path-compressed
 * pointers to a later candidate), so planning a long queue stays near O(1) a job. The strict
 * `SlotSchedule` still spaces the actual sends.
 */
export class SlotCalendar {
  /** Sends planned in cells that still have room. */
  private readonly count = new Map<number, number>()
  /** Full cell → a later cell that may have room. */
  private readonly next = new Map<number, number>()
  private lastSweep = 0

  constructor(private perSecond: number) {}

  setRate(perSecond: number): void {
    if (perSecond === this.perSecond) return
    this.perSecond = perSecond
    // Cells of another size: what was planned goes on at its due times.
    this.count.clear()
    this.next.clear()
  }

  /** Sends a cell holds, and its length (ms). */
  private get capacity(): number {
    return Math.max(1, Math.floor((MIN_CELL_MS * this.perSecond) / 1000))
  }

  private get cellMs(): number {
    return (this.capacity * 1000) / this.perSecond
  }

  /** Plans one send at or after `fromMs`; returns its due time. */
  plan(fromMs: number, nowMs: number): number {
    const size = this.cellMs
    const cell = this.take(cellOf(fromMs, size))
    this.sweep(nowMs)
    return Math.max(fromMs, cell * size)
  }

  /**
   * Counts a send kept at `atMs` elsewhere (the strict schedule) in its cell, or the first one
   * with room after, so jobs planned later leave that time to it.
   */
  book(atMs: number, nowMs: number): void {
    this.take(cellOf(atMs, this.cellMs))
    this.sweep(nowMs)
  }

  /** Takes room in the first cell with room at or after `from`; returns that cell. */
  private take(from: number): number {
    const cell = this.free(from)
    const n = (this.count.get(cell) ?? 0) + 1
    if (n < this.capacity) this.count.set(cell, n)
    else {
      this.count.delete(cell)
      this.next.set(cell, cell + 1)
    }
    return cell
  }

  /** The first cell with room at or after `cell`, with the pointers on the way shortened to it. */
  private free(cell: number): number {
    let last = cell
    for (let n = this.next.get(last); n !== undefined; n = this.next.get(last)) last = n
    for (let c = cell; c !== last;) {
      const n = this.next.get(c) as number
      this.next.set(c, last)
      c = n
    }
    return last
  }

  /** Cells before now are never asked for again (pointers only lead forward): forgotten. */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweep < 10_000) return
    this.lastSweep = nowMs
    const current = Math.floor(nowMs / this.cellMs) - 1
    for (const c of this.next.keys()) if (c < current) this.next.delete(c)
    for (const c of this.count.keys()) if (c < current) this.count.delete(c)
  }
}

/** The shortest cell of `SlotCalendar` (ms) when the rate's interval is shorter. */
const MIN_CELL_MS = 50

/** The cell `ms` falls in; a time a float's hair before a cell's start counts as in it. */
function cellOf(ms: number, size: number): number {
  return Math.floor(ms / size + 1e-9)
}
