/**
 * The scheduler singleton (DESIGN §10 "Singletons by advisory lock"): the loops that must run in
 * exactly one daemon at a time — the snooze waker and the bulk runner today; automations and
 * fallback timers join by adding a factory to the list the wiring passes. They run while this
 * daemon holds the `scheduler` lock and stop the moment it is lost; on SQLite the lock is always
 * held, so they simply run.
 *
 * Each take-over builds the loops afresh (a stopped SupervisedLoop stays stopped) and nothing they
 * need lives in memory: every one of them finds its work in the store (due snoozes, unfinished
 * bulks at their cursor), so a new leader picks up where the old one was.
 */
import type { Logger } from 'pino'
import type { Cluster } from './coordinator.js'

/** The scheduler's lock name. */
const SCHEDULER_LOCK = 'scheduler'

/** A loop that runs only in the leader. */
export interface Singleton {
  start(): void
  stop(): Promise<void>
}

/** Builds a fresh singleton for each term of leadership. */
export type SingletonFactory = () => Singleton

export class Scheduler {
  private running: Singleton[] = []
  /** Gains and losses applied one after the other, so a stop never races a start. */
  private turn: Promise<void> = Promise.resolve()
  private isLeader = false
  private begun = 0
  private stopped = false
  private readonly log: Logger

  constructor(
    private readonly cluster: Cluster,
    log: Logger,
    private readonly factories: readonly SingletonFactory[],
  ) {
    this.log = log.child({ component: 'scheduler' })
  }

  /** True while this daemon runs the singletons. */
  get leader(): boolean {
    return this.isLeader
  }

  /**
   * Terms of leadership begun on this daemon. A lost lock may be taken again by this same daemon
   * at its next try; a new term says the loops of the last one were stopped and built afresh.
   */
  get terms(): number {
    return this.begun
  }

  /** Asks for the lock; the singletons start once it is held (at once on SQLite). */
  start(): void {
    this.cluster.hold(SCHEDULER_LOCK, (held) => this.switch(held))
  }

  /** Stops the singletons and lets another daemon take over. */
  async stop(): Promise<void> {
    this.stopped = true
    this.switch(false)
    await this.turn
    // Only now: the next leader must not start while these loops still run.
    await this.cluster.release(SCHEDULER_LOCK)
  }

  private switch(held: boolean): void {
    this.turn = this.turn.then(async () => {
      if (held && this.stopped) return
      if (held === this.isLeader) return
      this.isLeader = held
      if (held) {
        this.begun++
        this.running = this.factories.map((make) => make())
        for (const s of this.running) s.start()
        if (this.cluster.shared)
          this.log.info({ daemon_id: this.cluster.daemonId }, 'scheduler leader')
      } else {
        const stopping = this.running
        this.running = []
        await Promise.allSettled(stopping.map((s) => s.stop()))
        if (this.cluster.shared) this.log.info('scheduler stopped here (no longer the leader)')
      }
    })
  }
}
