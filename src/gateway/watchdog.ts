/**
 * The ack watchdog (issue 7): a message the platform accepted (`sent`) but never acknowledged as
 * delivered within the channel's limit is how a quietly restricted WhatsApp number looks from the
 * outside. Each such message is flagged once — `undelivered_after` on the message, the
 * `omnigate_messages_undelivered_total{channel}` metric and a `message.undelivered` app webhook
 * queued in the same transaction — and never resent, which would only deepen a ban.
 *
 * Generic: any connector declaring the `ackWatch` capability (today WhatsApp Web) is watched.
 */
import type { Logger } from 'pino'
import { SupervisedLoop } from '../connectors/shared/supervised-loop.js'
import type { Connector } from '../connectors/types.js'
import type { MessageRecord } from '../store/types.js'
import type { Services } from './services.js'
import { recordEvents } from './live/index.js'

/**
 * How long (ms) a `sent` message of this channel may wait for its delivery ack before it is
 * flagged: the connector's `ackWatch` capability; null when it asks not to be watched (or did not
 * start). A limit that is not a positive number watches nothing rather than flag every message.
 * @internal exported for tests
 */
export function ackWatchMs(c: Connector | null): number | null {
  const ms = c?.capabilities.ackWatch?.undeliveredAfterMs
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : null
}

/** 30 s: the default limit is an hour; a flag half a minute late changes nothing for anyone. */
const WATCHDOG_EVERY_MS = 30_000
/**
 * A shorter limit is checked at half its length, so a flag is never later than half the limit;
 * but not more often than every 50 ms (each pass is one indexed range query per watched channel).
 */
const MIN_EVERY_MS = 50
/** Messages flagged per channel and query; a backlog drains page by page within one pass. */
const PAGE = 200
/** Bounds one pass (10 000 messages), so a huge backlog cannot hold the event loop for long. */
const MAX_PAGES = 50

export class AckWatchdog {
  private readonly loop: SupervisedLoop
  private readonly log: Logger

  constructor(private readonly svc: Services) {
    this.log = svc.log.child({ component: 'watchdog' })
    // A pass whose store reads failed throws, so the loop counts the error and backs off.
    this.loop = new SupervisedLoop({
      name: 'watchdog',
      log: this.log,
      health: svc.health,
      idleMs: WATCHDOG_EVERY_MS,
      tick: async () => {
        const failed = (await this.pass(this.svc.now())).failed[0]
        if (failed) throw failed
        return { waitMs: this.nextDelay() }
      },
    })
  }

  /** Checks now and then periodically until `stop()`. */
  start(): void {
    this.loop.start()
  }

  async stop(): Promise<void> {
    await this.loop.stop()
  }

  /**
   * One pass over the watched channels; returns the ids flagged. Channels that are not `connected`
   * are skipped: while the session is down no ack can arrive, so a missing one proves nothing.
   * A channel whose pass failed is logged, and the others still get theirs.
   */
  async check(now: Date = this.svc.now()): Promise<string[]> {
    const { flagged, failed } = await this.pass(now)
    for (const err of failed) this.log.error({ err }, 'ack watchdog pass failed')
    return flagged
  }

  private async pass(now: Date): Promise<{ flagged: string[]; failed: Error[] }> {
    const failed: Error[] = []
    const flagged: string[] = []
    const at = now.toISOString()
    for (const name of Object.keys(this.svc.config().channels)) {
      const afterMs = ackWatchMs(this.svc.channels.get(name))
      if (afterMs === null || this.svc.channels.state(name).state !== 'connected') continue
      const sentBefore = new Date(now.getTime() - afterMs).toISOString()
      try {
        for (let page = 0; page < MAX_PAGES; page++) {
          const due = await this.svc.store.messages.listAwaitingAck(name, sentBefore, PAGE)
          for (const m of due) {
            if (await this.flag(m, at, afterMs)) flagged.push(m.id)
          }
          if (due.length < PAGE) break
        }
      } catch (err) {
        failed.push(
          new Error(`channel ${name}: ${(err as Error)?.message ?? String(err)}`, { cause: err }),
        )
      }
    }
    if (flagged.length > 0) {
      this.log.warn(
        { count: flagged.length },
        'messages sent but not delivered in time (flagged, not resent): check the phone',
      )
    }
    return { flagged, failed }
  }

  /** The shortest watched limit decides how soon the next pass runs. */
  private nextDelay(): number {
    let every = WATCHDOG_EVERY_MS
    for (const name of Object.keys(this.svc.config().channels)) {
      const afterMs = ackWatchMs(this.svc.channels.get(name))
      if (afterMs !== null) every = Math.min(every, afterMs / 2)
    }
    return Math.max(MIN_EVERY_MS, Math.floor(every))
  }

  private async flag(m: MessageRecord, at: string, afterMs: number): Promise<boolean> {
    const sentAt = m.status_history.find((h) => h.status === 'sent')?.at ?? null
    const told = recordEvents(this.svc.events)
    const events = told.events(
      'message.undelivered',
      {
        message_id: m.id,
        thread_id: m.thread_id,
        contact_id: m.contact_id,
        channel: m.channel,
        to: m.address,
        platform_message_id: m.platform_message_id,
        status: m.status,
        sent_at: sentAt,
        undelivered_after: at,
        after_ms: afterMs,
      },
      at,
    )
    if (!(await this.svc.store.messages.flagUndelivered(m.id, at, events))) return false
    // Agents see it live too (the console's timeline), webhooks or not.
    this.svc.live.publish(told.taken())
    this.svc.metrics.undelivered.inc({ channel: m.channel })
    this.log.info(
      { message_id: m.id, channel: m.channel, sent_at: sentAt },
      'no delivery ack in time: flagged undelivered',
    )
    return true
  }
}
