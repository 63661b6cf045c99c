/**
 * The live channels: one connector per enabled channel of the config, with its state. A channel
 * whose `${VAR}` is missing is `disabled` naming the variable; one whose connector fails to start is
 * `error` with the reason — neither stops the daemon or the other channels. On reload only the
 * channels whose settings changed are restarted.
 */
import type { Logger } from 'pino'
import { createConnector } from '../../connectors/index.js'
import type {
  ChannelState,
  Connector,
  ConnectorContext,
  InboundMessage,
  InboundResult,
  LoopHealthSink,
  StatusUpdate,
} from '../../connectors/types.js'
import type { ChannelConfig, ResolvedConfig } from '../config/types.js'

export interface ChannelHooks {
  inbound(channel: string, msg: InboundMessage): Promise<InboundResult>
  status(channel: string, update: StatusUpdate): Promise<void>
  reachability(channel: string, address: string, reachable: boolean): Promise<void>
  /** The channel has just become `connected`: held messages can go. */
  connected?(channel: string): void
  kv: {
    get(scope: string, key: string): Promise<string | null>
    set(scope: string, key: string, value: string): Promise<void>
  }
  /** The health board the connectors' loops report to, as `channel:<name>:<loop>`. */
  loops?: LoopHealthSink
}

/**
 * Who may run a stateful connector (DESIGN §10): the cluster coordinator. On a shared store the
 * channel's connector starts only while this daemon holds the lock `channel:<name>`.
 */
export interface ChannelOwnership {
  /** False when this daemon is alone on its store: it owns every channel. */
  readonly shared: boolean
  hold(lock: string, listener: (held: boolean) => void): void
  release(lock: string): Promise<void>
}

/** The lock a stateful channel's owner holds. */
export const channelLock = (name: string): string => `channel:${name}`

interface Live {
  cfg: ChannelConfig
  fingerprint: string
  connector: Connector | null
  state: ChannelState
  abort: AbortController
  started: Promise<void>
  /** The connector keeps a session (polling, IMAP, a WhatsApp Web login): one daemon runs it. */
  stateful: boolean
  /** This daemon runs the connector (for a stateful channel on a shared store: holds its lock). */
  owned: boolean
  /** Gains and losses of the channel's lock, applied one after the other. */
  turn: Promise<void>
  /** Ends the current ownership term: the running connector's signal. */
  term: AbortController | null
  /** The connector was started once: a new term needs a fresh one (stop is final). */
  used: boolean
}

/** The state of a stateful channel while another daemon runs it. */
const STANDBY: ChannelState = {
  state: 'standby',
  detail: 'another daemon runs this channel (see owner); this one takes over if it stops',
}

export interface ChannelView {
  name: string
  type: string
  state: ChannelState['state']
  detail: string | null
  qr?: string
  rules: ChannelConfig['info']['rules']
}

export class ChannelRegistry {
  private readonly live = new Map<string, Live>()
  /** Channel names in config order, so lists read like the file. */
  private order: string[] = []

  constructor(
    private readonly log: Logger,
    private readonly hooks: ChannelHooks,
    private readonly dataDir: string,
    /** Tests wrap this to inject a connector's fake client (e.g. WhatsApp Web). */
    private readonly factory: typeof createConnector = createConnector,
    /** Several daemons on one store: who runs a stateful channel (none: this daemon, always). */
    private readonly ownership: ChannelOwnership | null = null,
  ) {}

  /** Starts, restarts or stops channels so the running set matches `config`. */
  async apply(config: ResolvedConfig): Promise<void> {
    const stops: Promise<void>[] = []
    for (const [name, l] of this.live) {
      const next = config.channels[name]
      if (!next || fingerprint(next, config) !== l.fingerprint) {
        this.live.delete(name)
        stops.push(this.stopOne(name, l))
      } else {
        l.cfg = next // rules may differ in ways that need no restart
      }
    }
    await Promise.all(stops)
    this.order = Object.keys(config.channels)
    for (const [name, cfg] of Object.entries(config.channels)) {
      if (this.live.has(name)) continue
      this.live.set(name, this.startOne(name, cfg, config))
    }
  }

  get(name: string): Connector | null {
    return this.live.get(name)?.connector ?? null
  }

  state(name: string): ChannelState {
    return this.live.get(name)?.state ?? { state: 'disabled', detail: 'not configured' }
  }

  list(): ChannelView[] {
    const live = this.order.flatMap((n) => {
      const l = this.live.get(n)
      return l ? [[n, l] as const] : []
    })
    return live.map(([name, l]) => ({
      name,
      type: l.cfg.info.type,
      state: l.state.state,
      detail: l.state.detail ?? null,
      ...(l.state.qr ? { qr: l.state.qr } : {}),
      rules: l.cfg.info.rules,
    }))
  }

  /** Channels whose connector keeps a session one daemon runs (`owner` names that daemon). */
  stateful(): string[] {
    return this.order.filter((n) => this.live.get(n)?.stateful === true)
  }

  /** Stateful channels whose connector runs here (their outbox jobs are this daemon's to send). */
  owned(): string[] {
    return this.order.filter((n) => {
      const l = this.live.get(n)
      return l !== undefined && l.stateful && l.owned
    })
  }

  /** Stateful channels another daemon runs (or none yet): this daemon must not send their jobs. */
  ownedElsewhere(): string[] {
    const out: string[] = []
    for (const [n, l] of this.live) if (l.stateful && !l.owned) out.push(n)
    return out
  }

  /** Resolves once every channel's start() has returned (or failed). */
  async settled(): Promise<void> {
    await Promise.all([...this.live.values()].map((l) => l.started))
  }

  async stopAll(): Promise<void> {
    const all = [...this.live.entries()]
    this.live.clear()
    await Promise.all(all.map(([n, l]) => this.stopOne(n, l)))
  }

  private startOne(name: string, cfg: ChannelConfig, config: ResolvedConfig): Live {
    // Set once here: a connector logs through this child and adds none of these keys again (a
    // second `component` or `type` would be a duplicate key in the JSON line).
    const log = this.log.child({ component: 'channel', channel: name, channel_type: cfg.info.type })
    const l: Live = {
      cfg,
      fingerprint: fingerprint(cfg, config),
      connector: null,
      state: { state: 'connecting' },
      abort: new AbortController(),
      started: Promise.resolve(),
      stateful: false,
      owned: false,
      turn: Promise.resolve(),
      term: null,
      used: false,
    }
    if (!cfg.enabled) {
      l.state = { state: 'disabled', detail: cfg.info.disabledReason ?? 'disabled' }
      log.warn({ detail: l.state.detail }, 'channel disabled')
      return l
    }
    const ctx = (signal: AbortSignal): ConnectorContext => ({
      log,
      dataDir: this.dataDir,
      inbound: (msg) => this.hooks.inbound(name, msg),
      status: (u) => this.hooks.status(name, u),
      reachability: (address, reachable) => this.hooks.reachability(name, address, reachable),
      state: (s) => {
        // A stopped generation (or a lost ownership term) must not overwrite what came after it.
        if (this.live.get(name) !== l || signal.aborted) return
        const was = l.state.state
        l.state = s
        if (s.state === 'connected' && was !== 'connected') this.hooks.connected?.(name)
        const level = s.state === 'error' ? 'error' : 'info'
        log[level]({ state: s.state, detail: s.detail }, 'channel state')
      },
      kv: {
        get: (key) => this.hooks.kv.get(`channel:${name}`, key),
        set: (key, value) => this.hooks.kv.set(`channel:${name}`, key, value),
      },
      signal,
      ...(this.hooks.loops ? { loops: scopedLoops(this.hooks.loops, name) } : {}),
    })
    const build = (): Promise<Connector> =>
      this.factory(
        {
          name,
          publicUrl: config.server.public_url,
          allowPrivateUrls: config.security.allow_private_urls,
          templateTitle: (t) => config.templates[t]?.title ?? null,
        },
        cfg.settings,
      )
    const failed = (err: unknown): void => {
      l.state = { state: 'error', detail: `failed to start: ${(err as Error).message}` }
      log.error({ err: { message: (err as Error).message } }, 'channel failed to start')
    }
    l.started = (async () => {
      try {
        const c = await build()
        l.connector = c
        l.stateful = c.capabilities.stateful
        if (l.stateful && this.ownership?.shared) {
          // Built (no I/O) but not started: it runs only while this daemon holds the lock.
          l.state = STANDBY
          this.ownership.hold(channelLock(name), (held) => {
            l.turn = l.turn.then(() =>
              held ? this.takeOver(l, build, ctx, failed, log) : this.handOver(name, l),
            )
          })
          return
        }
        l.owned = true
        l.used = true
        await c.start(ctx(l.abort.signal))
      } catch (err) {
        failed(err)
      }
    })()
    return l
  }

  /** This daemon took the channel's lock: a fresh connector starts under a new term. */
  private async takeOver(
    l: Live,
    build: () => Promise<Connector>,
    ctx: (signal: AbortSignal) => ConnectorContext,
    failed: (err: unknown) => void,
    log: Logger,
  ): Promise<void> {
    if (l.abort.signal.aborted || l.owned) return
    l.owned = true
    const term = new AbortController()
    l.term = term
    l.state = { state: 'connecting' }
    log.info('channel owned by this daemon: starting')
    try {
      if (l.used) l.connector = await build()
      l.used = true
      await l.connector?.start(ctx(AbortSignal.any([l.abort.signal, term.signal])))
    } catch (err) {
      failed(err)
    }
  }

  /** The channel's lock was lost (or released): the connector stops now and waits in standby. */
  private async handOver(name: string, l: Live): Promise<void> {
    if (!l.owned) return
    l.owned = false
    l.term?.abort()
    l.term = null
    await this.stopConnector(name, l)
    if (!l.abort.signal.aborted) l.state = STANDBY
  }

  private async stopOne(name: string, l: Live): Promise<void> {
    l.abort.abort()
    await l.started
    if (l.stateful && this.ownership?.shared) {
      // Stopped before the lock goes: the next owner must not poll while this one still does.
      l.turn = l.turn.then(() => this.handOver(name, l))
      await l.turn
      await this.ownership.release(channelLock(name))
      return
    }
    await this.stopConnector(name, l)
  }

  private async stopConnector(name: string, l: Live): Promise<void> {
    if (!l.used) return // built but never started: nothing runs
    try {
      await l.connector?.stop()
    } catch (err) {
      this.log.warn(
        { channel: name, err: { message: (err as Error).message } },
        'channel stop failed',
      )
    }
  }
}

/** A channel's loops on the daemon's board, named after the channel so two never collide. */
function scopedLoops(board: LoopHealthSink, channel: string): LoopHealthSink {
  const key = (loop: string): string => `channel:${channel}:${loop}`
  return {
    register: (loop) => board.register(key(loop)),
    tick: (loop) => board.tick(key(loop)),
    error: (loop) => board.error(key(loop)),
    unregister: (loop) => board.unregister(key(loop)),
  }
}

function fingerprint(cfg: ChannelConfig, config: ResolvedConfig): string {
  return JSON.stringify([
    cfg.info.type,
    cfg.info.enabled,
    cfg.settings,
    config.server.public_url,
    config.security.allow_private_urls,
  ])
}
