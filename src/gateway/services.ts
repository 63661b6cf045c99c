/**
 * What route handlers and use-cases share: the live config, the store, the channel registry and the
 * use-cases. Built once by the daemon (`daemon.ts`) and by the in-process test harness.
 */
import type { Logger } from 'pino'
import type { Store } from '../store/types.js'
import type { ResolvedConfig } from './config/types.js'
import type { ChannelRegistry } from './channels/registry.js'
import type { TokenBucket } from './dispatcher/rate-limiter.js'
import type { EventFactory } from './events.js'
import type { LiveBus } from './live/bus.js'
import type { AttachmentLinks } from './attachments/index.js'
import type { UnsubscribeLinks } from './consent/index.js'
import type { Metrics } from './metrics.js'
import type { Health } from './health/index.js'
import type { StoreFaults } from './health/store-faults.js'
import type { Cluster } from './cluster/index.js'
import type { Presence } from './automations/presence.js'

export interface Services {
  config(): ResolvedConfig
  store: Store
  log: Logger
  channels: ChannelRegistry
  events: EventFactory
  /** Live updates (`/v1/stream`): publish what a use-case committed, right after the store call. */
  live: LiveBus
  links: AttachmentLinks
  /** Signed one-click unsubscribe URLs of email sends (DESIGN §15), and their check. */
  unsubscribe: UnsubscribeLinks
  metrics: Metrics
  apiLimiter: TokenBucket
  /** Standing problems and background loops' ticks: what `/readyz` and `/metrics` report. */
  health: Health
  /** Counts store faults, reports them to `health` and probes until the store writes again. */
  storeFaults: StoreFaults
  now(): Date
  /** True once the store is open and the dispatcher runs. */
  healthy(): boolean
  /** True after SIGTERM: new requests get 503. */
  stopping(): boolean
  /** Re-reads the config file; an invalid file leaves the running config in place. */
  reload(): Promise<{ ok: true } | { ok: false; errors: string }>
  /** Wakes the dispatcher after an accept so a queued job does not wait for the next poll. */
  kick(): void
  /** Several daemons on one store (DESIGN §10): this daemon's id and who holds which lock. */
  cluster: Cluster
  /** True while this daemon runs the scheduler's singletons (always on SQLite). */
  leader(): boolean
  /** Agents online (console streams, agent-key calls) for automations' `no_agent_online`. */
  presence?: Presence
}
