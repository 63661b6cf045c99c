/**
 * What `/readyz` and `/metrics` say about the daemon's own state (DESIGN §6): standing problems
 * reported by components (the store unwritable, the disk full …) and the background loops, each
 * expected to complete a good tick at least every `STALE_AFTER_MS`. `/healthz` never reads it:
 * liveness stays a cheap answer that waits on nothing.
 */

/**
 * DESIGN §6: a loop that has not completed a tick in 30 s makes the daemon unready.
 * @internal exported for tests
 */
export const STALE_AFTER_MS = 30_000

export interface Problem {
  component: string
  code: string
  /** ISO time the problem was first seen. */
  since: string
  detail?: string
}

export interface LoopHealth {
  name: string
  /** Seconds since the last good tick (since registration when none yet). */
  lastGoodTickAgeSeconds: number
  errors: number
}

interface LoopState {
  registeredAt: number
  lastGoodAt: number | null
  errors: number
  failingSince: number | null
}

export class Health {
  private readonly standing = new Map<string, Problem>()
  private readonly loopStates = new Map<string, LoopState>()

  constructor(private readonly now: () => number = Date.now) {}

  /** A background loop starts: from now on it must tick at least every `STALE_AFTER_MS`. */
  register(loop: string): void {
    this.loopStates.set(loop, {
      registeredAt: this.now(),
      lastGoodAt: null,
      errors: 0,
      failingSince: null,
    })
  }

  /** A loop stopped on purpose (stop, channel removed): no longer expected to tick. */
  unregister(loop: string): void {
    this.loopStates.delete(loop)
  }

  /** A loop completed one good tick (its work, or an idle poll that found nothing to do). */
  tick(loop: string): void {
    const s = this.loopStates.get(loop)
    if (!s) return
    s.lastGoodAt = this.now()
    s.failingSince = null
  }

  /** A loop's tick failed; it backs off and goes on. */
  error(loop: string): void {
    const s = this.loopStates.get(loop)
    if (!s) return
    s.errors++
    s.failingSince ??= this.now()
  }

  /** A standing problem of a component (idempotent: `since` is kept while it lasts). */
  set(component: string, code: string, detail?: string): void {
    const key = `${component}\u0000${code}`
    const existing = this.standing.get(key)
    if (existing) {
      if (detail !== undefined) existing.detail = detail
      return
    }
    this.standing.set(key, {
      component,
      code,
      since: new Date(this.now()).toISOString(),
      ...(detail !== undefined ? { detail } : {}),
    })
  }

  /** The problem is over (all of the component's problems when `code` is left out). */
  clear(component: string, code?: string): void {
    for (const [key, p] of this.standing) {
      if (p.component === component && (code === undefined || p.code === code)) {
        this.standing.delete(key)
      }
    }
  }

  /** Everything wrong now: standing problems, then loops without a good tick in 30 s. */
  problems(): Problem[] {
    const now = this.now()
    const out = [...this.standing.values()]
    for (const [name, s] of this.loopStates) {
      const last = s.lastGoodAt ?? s.registeredAt
      if (now - last > STALE_AFTER_MS) {
        out.push({ component: name, code: 'loop_stalled', since: new Date(last).toISOString() })
      }
    }
    return out
  }

  ready(): boolean {
    return this.problems().length === 0
  }

  loops(): LoopHealth[] {
    const now = this.now()
    return [...this.loopStates].map(([name, s]) => ({
      name,
      lastGoodTickAgeSeconds: (now - (s.lastGoodAt ?? s.registeredAt)) / 1000,
      errors: s.errors,
    }))
  }
}
