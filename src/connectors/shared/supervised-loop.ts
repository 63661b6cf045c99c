/**
 * The one loop every background job of the daemon and its connectors runs on (STYLE.md "One loop
 * helper"): the dispatcher, app webhooks, the bulk runner, the snooze waker, the ack watchdog,
 * Telegram polling, IMAP and the start-up token rechecks. It calls `tick` over and over. A tick
 * that throws is logged with the loop's name, counted, and followed by an exponential pause with
 * jitter and a cap (reset by the next good tick) — and the loop goes on: one database error or one
 * bad row never ends it. Waits are abortable, `kick()` cuts an idle wait short, and `stop()` waits
 * for the tick in hand. Every good tick is reported to the health board, and so is every
 * `HEARTBEAT_MS` of a long wait after one, so `/readyz` names a loop that stopped doing its work
 * (DESIGN §6: no good tick in 30 s) and never one that merely has nothing to do.
 *
 * It lives with the connectors because connectors must not import the gateway; the gateway's own
 * loops import it from here, as they do the backoff next to it.
 */
import type { Logger } from 'pino'
import type { LoopHealthSink } from '../types.js'
import { exponentialDelay, type BackoffPolicy } from './backoff.js'

/**
 * A loop waiting longer than this says it is alive at each wake-up: three times in 30 s.
 * @internal exported for tests
 */
export const HEARTBEAT_MS = 10_000

/**
 * After a failed tick: 0.5 s, 1 s, 2 s … 30 s. Short first (a locked database is usually free
 * again within a second), capped so a store that comes back is used within half a minute.
 */
const DEFAULT_ERROR_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 }

/**
 * What a tick asks for next (nothing returned means `idle`):
 * - `busy`: more work is ready; run again once pending I/O had its turn (setImmediate);
 * - `idle`: nothing to do; wait `idleMs`, or less if `kick()` comes;
 * - `{ waitMs }`: wait exactly this long (kickable), e.g. until the next job is due;
 * - `backoff` / `{ backoff: policy }`: the work failed for an outside reason already reported
 *   elsewhere (a platform that is down shows in the channel's state): the loop itself is fine, but
 *   waits on its exponential backoff (the loop's error policy, or `policy`) before trying again;
 * - `done`: the loop's job is over (a start-up check got its answer): it ends and unregisters.
 */
export type TickOutcome =
  'busy' | 'idle' | 'done' | 'backoff' | { waitMs: number } | { backoff: BackoffPolicy }

export interface TickContext {
  /** Aborted when the loop stops: pass it to anything the tick waits on. */
  signal: AbortSignal
  /**
   * For a tick that rightly runs long (an IMAP session lives for hours): the work is going well.
   * Reports a good tick and resets the backoff. Call it at least every `HEARTBEAT_MS`.
   */
  alive: () => void
  /**
   * Waits for `work`, reporting the loop alive every `HEARTBEAT_MS` meanwhile: for a wait that is
   * bounded elsewhere (a long poll under a client timeout, an IDLE that new mail or a stop ends)
   * and may rightly outlast the 30 s in which `/readyz` expects a tick.
   */
  keepAlive: <T>(work: Promise<T>) => Promise<T>
}

export interface SupervisedLoopOptions {
  /** The loop's name in logs, in `/readyz` problems and in the `loop` label of `/metrics`. */
  name: string
  /** The owner's logger (with its `component`); the loop adds `loop: name`. */
  log: Logger
  /** One pass of work. A throw is an error of the loop: logged, counted, backed off. */
  tick(t: TickContext): TickOutcome | void | Promise<TickOutcome | void>
  /** The pause after an idle tick (ms). */
  idleMs: number
  /** Backoff after failed ticks (default `DEFAULT_ERROR_BACKOFF`). */
  backoff?: BackoffPolicy
  /** The health board (the daemon's `Health`, or a connector's `ctx.loops`). */
  health?: LoopHealthSink
  /** Stops the loop too when it aborts (the daemon's or the connector's signal). */
  signal?: AbortSignal
  /** Wait this long before the first tick (a recheck that follows a first check). */
  firstDelayMs?: number
  /** The jitter's randomness (tests pin it). */
  random?: () => number
}

export class SupervisedLoop {
  private readonly stopCtl = new AbortController()
  private readonly log: Logger
  private running: Promise<void> | null = null
  /** Failed ticks (thrown, or `backoff`) since the last good one. */
  private failures = 0
  private kicked = false
  /** Ends the current pause early: always on stop, on `kick()` only when `kickable`. */
  private interrupt: (() => void) | null = null
  private kickable = false
  private readonly onAbort = (): void => this.halt()

  constructor(private readonly opts: SupervisedLoopOptions) {
    this.log = opts.log.child({ loop: opts.name })
    if (opts.signal?.aborted) this.stopCtl.abort()
    else opts.signal?.addEventListener('abort', this.onAbort, { once: true })
  }

  get name(): string {
    return this.opts.name
  }

  /** Started and not stopped. */
  get active(): boolean {
    return this.running !== null && !this.stopped
  }

  /** Resolves when the loop has ended (stopped, or `done`). */
  get finished(): Promise<void> {
    return this.running ?? Promise.resolve()
  }

  /** Starts the loop (once; a stopped loop stays stopped). */
  start(): void {
    if (this.running || this.stopped) return
    this.running = this.run()
  }

  /** New work may be there: end an idle wait now, or skip the next one if a tick is running. */
  kick(): void {
    this.kicked = true
    if (this.kickable) this.interrupt?.()
  }

  /** Ends the loop: the current wait ends at once, the current tick is waited for. */
  async stop(): Promise<void> {
    this.halt()
    await this.running
  }

  private get stopped(): boolean {
    return this.stopCtl.signal.aborted
  }

  private halt(): void {
    this.stopCtl.abort()
    this.interrupt?.()
  }

  private async run(): Promise<void> {
    const { name, health } = this.opts
    health?.register(name)
    const ctx: TickContext = {
      signal: this.stopCtl.signal,
      alive: () => {
        this.failures = 0
        this.beat()
      },
      keepAlive: async (work) => {
        const timer = setInterval(() => this.beat(), HEARTBEAT_MS)
        timer.unref()
        try {
          return await work
        } finally {
          clearInterval(timer)
        }
      },
    }
    let erroring = false
    try {
      if (this.opts.firstDelayMs) await this.wait(this.opts.firstDelayMs, true, false)
      while (!this.stopped) {
        this.kicked = false
        let outcome: TickOutcome
        try {
          outcome = (await this.opts.tick(ctx)) ?? 'idle'
        } catch (err) {
          if (this.stopped) break
          erroring = true
          this.failures++
          health?.error(name)
          const retryInMs = this.backoffDelay(this.opts.backoff)
          this.log.error(
            { err, failures: this.failures, retry_in_ms: retryInMs },
            'loop tick failed; trying again after a pause',
          )
          // Not kickable: every accepted send kicks the dispatcher, which must not defeat the
          // pause while the store is failing.
          await this.wait(retryInMs, false, false)
          continue
        }
        if (erroring) {
          this.log.info({ failures: this.failures }, 'loop recovered')
          erroring = false
        }
        if (outcome === 'backoff' || (typeof outcome === 'object' && 'backoff' in outcome)) {
          this.failures++
          this.beat()
          const policy = typeof outcome === 'object' ? outcome.backoff : this.opts.backoff
          await this.wait(this.backoffDelay(policy), true, false)
          continue
        }
        this.failures = 0
        this.beat()
        if (outcome === 'done') break
        const waitMs =
          outcome === 'busy' ? 0 : outcome === 'idle' ? this.opts.idleMs : outcome.waitMs
        // Even "at once" lets pending I/O have its turn first: never a tight loop of ticks.
        if (waitMs <= 0) await nextTurn()
        else await this.wait(waitMs, true, true)
      }
    } finally {
      health?.unregister(name)
      // A loop that ended by itself (`done`) must not stay attached to a long-lived signal.
      this.opts.signal?.removeEventListener('abort', this.onAbort)
    }
  }

  private backoffDelay(policy = DEFAULT_ERROR_BACKOFF): number {
    return exponentialDelay(this.failures, policy, [0.5, 1], this.opts.random)
  }

  private beat(): void {
    this.opts.health?.tick(this.opts.name)
  }

  /**
   * Waits `ms` in slices of at most `HEARTBEAT_MS`; with `beat`, each slice that ends before the
   * wait does reports a good tick (the loop is alive, only waiting).
   */
  private async wait(ms: number, beat: boolean, kickable: boolean): Promise<void> {
    const until = Date.now() + ms
    for (;;) {
      if (this.stopped) return
      if (kickable && this.kicked) {
        await nextTurn()
        return
      }
      const left = until - Date.now()
      if (left <= 0) return
      const slice = Math.min(left, HEARTBEAT_MS)
      await this.pause(slice, kickable)
      // Only a slice that was not the last: a timer may fire a moment before `until` by
      // Date.now() (libuv reckons from its cached loop time), and the last slice must not count
      // as a tick of its own then (CI, busy, once counted 4 ticks for 3).
      if (beat && !this.stopped && slice < left) this.beat()
    }
  }

  private pause(ms: number, kickable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.interrupt = null
        this.kickable = false
        resolve()
      }
      // Unref'd: a loop alone never keeps the process up (the daemon's server does).
      const timer = setTimeout(done, ms)
      timer.unref()
      this.interrupt = done
      this.kickable = kickable
    })
  }
}

/** Resolves after the I/O and timers already pending have run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
