/**
 * The live event bus (DESIGN §13): use-cases publish what they just committed, the `/v1/stream`
 * route subscribes one listener per connected console. Events are plain JSON-serialisable data
 * shaped like app-webhook events, so a transport between daemons (PostgreSQL `LISTEN/NOTIFY`) can
 * carry them as they are.
 */
import type { Logger } from 'pino'

/** One live event: `{id, type, created_at, data}`, as an app webhook would carry it. */
export interface LiveEvent {
  id: string
  type: string
  created_at: string
  data: Record<string, unknown>
}

/** Receives each published batch, in publish order. Must not block: it runs on the publisher's turn. */
export type LiveListener = (events: readonly LiveEvent[]) => void

/**
 * Where live events go. `publish` is called only AFTER the change is committed, never throws and
 * never waits (a failing listener or transport is the bus's problem, not the use-case's).
 */
export interface LiveBus {
  publish(events: readonly LiveEvent[]): void
  /** Adds a listener; the returned function removes it (calling it twice is harmless). */
  subscribe(listener: LiveListener): () => void
}

/** The bus of one process: listeners are called synchronously, each isolated from the others. */
export class InProcessBus implements LiveBus {
  private readonly listeners = new Set<LiveListener>()

  constructor(private readonly log?: Logger) {}

  publish(events: readonly LiveEvent[]): void {
    if (events.length === 0) return
    for (const l of [...this.listeners]) {
      try {
        l(events)
      } catch (err) {
        this.log?.error({ err, component: 'live' }, 'a live listener failed')
      }
    }
  }

  subscribe(listener: LiveListener): () => void {
    // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const own: LiveListener = (e) => listener(e)
    this.listeners.add(own)
    return () => {
      this.listeners.delete(own)
    }
  }

  /** How many listeners are subscribed (for tests and metrics). */
  get size(): number {
    return this.listeners.size
  }
}
