/**
 * Which agents are online, for the automations' `no_agent_online` (DESIGN §14): an agent is
 * online while a console stream (`GET /v1/stream`) of theirs is open, or for 5 minutes after an
 * API call made with an agent key. Kept in memory per daemon; across daemons (PostgreSQL) each
 * daemon tells the others over the store's notifications — the live bus's transport, on a channel
 * of its own (`omnigate_presence`) so consoles never see it — a payload `{agent, until}`: "count
 * this agent online until then", at most once a minute per agent for API calls, and every minute
 * while a stream is open (valid two minutes, so a closed stream elsewhere stops counting within
 * two minutes). The scheduler's daemon, which runs the automations, reads both.
 */
import type { Logger } from 'pino'
import type { StoreNotifications } from '../../store/types.js'

/** The notification channel presence goes over between daemons. */
const PRESENCE_CHANNEL = 'omnigate_presence'

/** How presence reaches the other daemons (none on SQLite: one daemon). */
export interface PresenceTransport {
  /** Sends one payload to every daemon (this one included); never throws, never waits. */
  send(payload: string): void
  /** Listens; the returned function stops it. */
  listen(onPayload: (payload: string) => void): () => void
}

/** Presence over the store's notifications (PostgreSQL LISTEN/NOTIFY). */
export function storePresenceTransport(n: StoreNotifications, log: Logger): PresenceTransport {
  return {
    send(payload) {
      n.notify(PRESENCE_CHANNEL, [payload]).catch((err: unknown) => {
        log.warn({ err, component: 'presence' }, 'could not tell other daemons of an agent online')
      })
    },
    listen(onPayload) {
      const l = n.listen(PRESENCE_CHANNEL, onPayload)
      return () => void l.close()
    },
  }
}

/** How long an agent-key API call counts as the agent being online. @internal (its test reads it) */
export const API_CALL_PRESENCE_MS = 5 * 60_000
/** How often a daemon repeats what it knows (streams open, recent calls) to the others. */
const ANNOUNCE_EVERY_MS = 60_000
/** How long another daemon's word for an open stream holds: two announcements. */
const STREAM_PRESENCE_MS = 2 * ANNOUNCE_EVERY_MS

export class Presence {
  /** Agent → online until (ms), from API calls here and announcements from anywhere. */
  private readonly until = new Map<string, number>()
  /** Agent → console streams open on this daemon. */
  private readonly streams = new Map<string, number>()
  /** Agent → when this daemon last announced the agent (ms). */
  private readonly announced = new Map<string, number>()
  private timer: NodeJS.Timeout | null = null
  private unsubscribe: (() => void) | null = null

  constructor(
    private readonly clock: () => number,
    private readonly transport: PresenceTransport | null = null,
  ) {}

  /** Listens to the other daemons' announcements. */
  start(): void {
    this.unsubscribe = this.transport?.listen((p) => this.heard(p)) ?? null
  }

  stop(): void {
    this.unsubscribe?.()
    this.unsubscribe = null
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** An API call with an agent key. */
  apiCall(agent: string): void {
    const now = this.clock()
    this.extend(agent, now + API_CALL_PRESENCE_MS)
    const last = this.announced.get(agent)
    if (last === undefined || now - last >= ANNOUNCE_EVERY_MS) {
      this.announce(agent, now + API_CALL_PRESENCE_MS)
    }
  }

  /** A console stream opened; the returned function closes it (calling it twice is harmless). */
  streamOpened(agent: string): () => void {
    this.streams.set(agent, (this.streams.get(agent) ?? 0) + 1)
    this.announce(agent, this.clock() + STREAM_PRESENCE_MS)
    this.timer ??= setInterval(() => this.announceStreams(), ANNOUNCE_EVERY_MS)
    this.timer.unref()
    let open = true
    return () => {
      if (!open) return
      open = false
      const n = (this.streams.get(agent) ?? 1) - 1
      if (n > 0) this.streams.set(agent, n)
      else this.streams.delete(agent)
      if (this.streams.size === 0 && this.timer) {
        clearInterval(this.timer)
        this.timer = null
      }
    }
  }

  /** Whether any agent is online now. */
  anyOnline(): boolean {
    if (this.streams.size > 0) return true
    const now = this.clock()
    for (const [agent, until] of this.until) {
      if (until > now) return true
      this.until.delete(agent)
    }
    return false
  }

  private heard(payload: string): void {
    let data: { agent?: unknown; until?: unknown }
    try {
      data = JSON.parse(payload) as typeof data
    } catch {
      return
    }
    const until = Date.parse(String(data.until))
    if (typeof data.agent === 'string' && Number.isFinite(until)) this.extend(data.agent, until)
  }

  private extend(agent: string, until: number): void {
    if (until > (this.until.get(agent) ?? 0)) this.until.set(agent, until)
  }

  private announceStreams(): void {
    const until = this.clock() + STREAM_PRESENCE_MS
    for (const agent of this.streams.keys()) this.announce(agent, until)
  }

  private announce(agent: string, until: number): void {
    if (!this.transport) return
    this.announced.set(agent, this.clock())
    this.transport.send(JSON.stringify({ agent, until: new Date(until).toISOString() }))
  }
}
