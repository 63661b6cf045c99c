/**
 * The live bus of daemons sharing one store (DESIGN §10, §13): a change published here reaches
 * this daemon's listeners at once, as on the in-process bus, and the other daemons' listeners
 * through the store's notifications (PostgreSQL `LISTEN/NOTIFY`). Each batch goes out as JSON
 * `{o: origin, e: events}`; a daemon skips its own (it delivered them already).
 *
 * `publish` never waits and never throws: payloads wait in a bounded queue sent one call at a
 * time (so other daemons see one daemon's batches in publish order). While the store cannot take
 * them (a restart) they fail and are dropped, logged — like a stream disconnected meanwhile, the
 * other daemons' consoles miss them (streams have no replay); when the queue is full the oldest
 * go first. Batches are split to fit a notification; a single event too large for one is carried
 * by the store aside (see `StoreNotifications`).
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Listening, StoreNotifications } from '../../store/types.js'
import { InProcessBus, type LiveBus, type LiveEvent, type LiveListener } from './bus.js'

/** The one channel every daemon of a database listens on. */
const LIVE_CHANNEL = 'omnigate_live'
/**
 * Payloads waiting to be sent at most. A burst of a few hundred batches is normal (a bulk's
 * progress, an inbound storm); thousands mean the store is away and they will fail anyway.
 */
const MAX_QUEUED_PAYLOADS = 2_000
/** Payloads per notify call: one statement; enough to drain a burst in a few round trips. */
const PAYLOADS_PER_CALL = 50

export interface SharedBusOptions {
  /** This daemon's id on the wire (default: a random UUID per bus). */
  origin?: string
  channel?: string
  log?: Logger
}

/** The wire form of one batch (or part of one). */
interface WireBatch {
  o: string
  e: LiveEvent[]
}

export class SharedBus implements LiveBus {
  readonly origin: string
  /** How this daemon's own payloads begin: they come back to it, and are skipped unparsed. */
  private readonly ownHead: string
  private readonly channel: string
  private readonly local: InProcessBus
  private readonly log: Logger | undefined
  private readonly queue: string[] = []
  private pump: Promise<void> | null = null
  private listening: Listening | null = null
  private closed = false
  private dropped = 0
  private listens = 0

  constructor(
    private readonly notifications: StoreNotifications,
    opts: SharedBusOptions = {},
  ) {
    this.origin = opts.origin ?? randomUUID()
    this.ownHead = wireHead(this.origin)
    this.channel = opts.channel ?? LIVE_CHANNEL
    this.log = opts.log
    this.local = new InProcessBus(opts.log)
  }

  /** Starts listening for the other daemons' events (its connection retries by itself). */
  start(): void {
    if (this.listening || this.closed) return
    this.listening = this.notifications.listen(this.channel, (p) => this.receive(p), {
      onListening: () => {
        this.listens++
        if (this.listens > 1) this.log?.info('live bus listening again')
      },
      onLost: (error, retryMs) =>
        this.log?.warn(
          { err: { message: error.message }, retryMs },
          'live bus lost its listening connection; other daemons’ events are missed until it is back',
        ),
    })
  }

  /** How many local listeners are subscribed (as `InProcessBus.size`). */
  get size(): number {
    return this.local.size
  }

  /** How many times the listening connection has been (re)established. */
  get listenCount(): number {
    return this.listens
  }

  publish(events: readonly LiveEvent[]): void {
    if (events.length === 0) return
    this.local.publish(events)
    if (this.closed) return
    try {
      this.queue.push(...split(this.origin, events, this.notifications.maxPayloadBytes))
    } catch (err) {
      // An event that does not serialise: the local listeners had it; the others never will.
      this.log?.error({ err }, 'live event could not be sent to other daemons')
      return
    }
    const over = this.queue.length - MAX_QUEUED_PAYLOADS
    if (over > 0) {
      this.queue.splice(0, over)
      this.dropped += over
    }
    this.pump ??= this.drain().finally(() => {
      this.pump = null
    })
  }

  subscribe(listener: LiveListener): () => void {
    return this.local.subscribe(listener)
  }

  /** Resolves once everything queued so far has been sent (or dropped). */
  async flushed(): Promise<void> {
    while (this.pump) await this.pump
  }

  /** Sends what is queued, then stops listening. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.flushed()
    await this.listening?.close()
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const payloads = this.queue.splice(0, PAYLOADS_PER_CALL)
      try {
        await this.notifications.notify(this.channel, payloads)
      } catch (err) {
        this.dropped += payloads.length
        this.log?.warn(
          { err: { message: (err as Error).message }, dropped: this.dropped },
          'live events could not be sent to other daemons; dropped',
        )
      }
    }
  }

  private receive(payload: string): void {
    // Every notification reaches every listener, its sender included: a lone daemon on
    // PostgreSQL gets back every batch it sends, and used to parse each before dropping it.
    if (payload.startsWith(this.ownHead)) return
    let batch: Partial<WireBatch>
    try {
      batch = JSON.parse(payload) as Partial<WireBatch>
    } catch {
      this.log?.warn('live bus: a notification that is not JSON was ignored')
      return
    }
    if (batch.o === this.origin || !Array.isArray(batch.e)) return
    const events = batch.e.filter(isLiveEvent)
    if (events.length > 0) this.local.publish(events)
  }
}

function isLiveEvent(e: unknown): e is LiveEvent {
  const v = e as Partial<LiveEvent> | null
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    typeof v.type === 'string' &&
    typeof v.created_at === 'string' &&
    typeof v.data === 'object' &&
    v.data !== null
  )
}

/**
 * @internal (exported for its test) The batch as wire payloads of at most `max` bytes each, in
 * order; an event too large alone is a payload of its own (the store carries it aside).
 */
export function split(origin: string, events: readonly LiveEvent[], max: number): string[] {
  const head = wireHead(origin)
  const tail = ']}'
  const out: string[] = []
  let parts: string[] = []
  let size = Buffer.byteLength(head) + tail.length
  const flush = (): void => {
    if (parts.length > 0) out.push(head + parts.join(',') + tail)
    parts = []
    size = Buffer.byteLength(head) + tail.length
  }
  for (const e of events) {
    const json = JSON.stringify(e)
    const bytes = Buffer.byteLength(json) + (parts.length > 0 ? 1 : 0)
    if (parts.length > 0 && size + bytes > max) flush()
    parts.push(json)
    size += Buffer.byteLength(json) + (parts.length > 1 ? 1 : 0)
  }
  flush()
  return out
}

/** The start of every wire payload `origin` sends (`split`). */
function wireHead(origin: string): string {
  return `{"o":${JSON.stringify(origin)},"e":[`
}
