/**
 * The wiring: store, channels, dispatcher, app webhooks, snooze waker and the HTTP app, from one
 * resolved config. `createGateway()` does not listen: the daemon (`daemon.ts`) serves its app, and
 * in-process tests call `app.request()` on it.
 */
import type { Hono } from 'hono'
import type { Logger } from 'pino'
import { createConnector } from '../connectors/index.js'
import { openStore, type OpenStoreOptions } from '../store/index.js'
import type { SharedLocks, Store } from '../store/types.js'
import { attachmentLinks } from './attachments/index.js'
import {
  automationRunner,
  Presence,
  storePresenceTransport,
  type AutomationRunner,
} from './automations/index.js'
import { ChannelRegistry } from './channels/registry.js'
import { Cluster, Scheduler, daemonId, localLocks, type LockBackend } from './cluster/index.js'
import { isLocalUrl, unsubscribeLinks } from './consent/index.js'
import { loadConfig } from './config/load.js'
import { ConfigError, type ResolvedConfig } from './config/types.js'
import { OutboxWorker } from './dispatcher/outbox-worker.js'
import { TokenBucket } from './dispatcher/rate-limiter.js'
import { WebhookWorker } from './dispatcher/webhook-worker.js'
import { eventFactory } from './events.js'
import { InProcessBus, SharedBus } from './live/index.js'
import { defaultConsoleDir, mountConsole } from './console/index.js'
import { loadCancelledBulks } from './bulk/cancelled.js'
import { bulkRunner, type BulkRunner } from './bulk/index.js'
import { buildApp } from './http/app.js'
import { routes } from './http/routes.js'
import { receiveInbound, receiveStatus } from './inbound.js'
import { createMetrics } from './metrics.js'
import { Health } from './health/index.js'
import { StoreFaults } from './health/store-faults.js'
import type { Services } from './services.js'
import { snoozeWaker } from './snooze-waker.js'
import { fallbackRunner, scheduleFallbacks } from './webchat/index.js'
import { openVisitorStreams } from './webchat/hub.js'
import { AckWatchdog } from './watchdog.js'

export interface GatewayOptions {
  config: ResolvedConfig
  log: Logger
  /** How to re-read the config on reload (SIGHUP, POST /v1/admin/reload). */
  reloadConfig?: () => ResolvedConfig
  now?: () => Date
  /** Tests may run without the dispatcher loop to inspect the outbox. */
  dispatcher?: boolean
  /** Builds connectors (default: the real factory); tests wrap it to inject a fake client. */
  connectorFactory?: typeof createConnector
  /** Where the built console is (default: the package's `dist/console/`). */
  consoleDir?: string
  /** The readiness clock (ms): tests move it to make a loop stale without waiting 30 s. */
  healthClock?: () => number
  /** The dispatcher's lease clock (ms): tests move it past a scheduled send's time. */
  leaseClock?: () => number
  /** Test seam: runs on the SQLite connection once it is open (see `OpenStoreOptions.onOpen`). */
  onStoreOpen?: OpenStoreOptions['onOpen']
  /** This daemon's id (default `OMNIGATE_DAEMON_ID`, else `<hostname>-<pid>`); tests name theirs. */
  daemonId?: string
}

export interface Gateway {
  svc: Services
  app: Hono
  store: Store
  outbox: OutboxWorker
  /** Expands bulks in chunks and finishes them; resumes unfinished ones at start. */
  bulk: BulkRunner
  /** Flags `sent` messages without a delivery ack in time (channels that report acks). */
  watchdog: AckWatchdog
  /** The daemon id and the cluster locks (scheduler, stateful channels). */
  cluster: Cluster
  /** Runs the singletons (snooze waker, bulk runner) while this daemon holds the scheduler lock. */
  scheduler: Scheduler
  /** The automations' runner of this leadership term (DESIGN §14); null while not the leader. */
  automations(): AutomationRunner | null
  /** Graceful stop: in-flight sends get `graceMs`, the rest stays queued. */
  stop(graceMs?: number): Promise<void>
}

export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  let config = opts.config
  const log = opts.log
  // Before the store opens: a bad OMNIGATE_DAEMON_ID stops the start with nothing to close.
  const id = opts.daemonId ?? daemonId()
  const store = await openStore({
    file: config.store.sqlite,
    dataDir: config.store.data_dir,
    postgres: config.store.postgres,
    log: log.child({ component: 'store' }),
    ...(opts.onStoreOpen ? { onOpen: opts.onStoreOpen } : {}),
  })
  let stopping = false
  let running = false
  const outboxRef: { w: OutboxWorker | null; h: WebhookWorker | null } = { w: null, h: null }

  const health = new Health(opts.healthClock)
  // A store shared by several daemons keeps the locks (on PostgreSQL in the server, on a connection
  // of their own); it tells the cluster when they are lost, so the work they guarded stops at once.
  const shared = store.sharedLocks?.({ daemonId: id, onLost: (r) => cluster.lost(r) })
  const backend: LockBackend = shared ? sharedBackend(shared) : localLocks(id)
  const cluster = new Cluster({ daemonId: id, backend, log, health })
  const schedulerRef: { s: Scheduler | null } = { s: null }
  const metrics = createMetrics({
    outboxDepth: () => store.outbox.depth(),
    webhookDepth: () => store.webhooks.depth(),
    webchatStreams: () => openVisitorStreams(svc.live),
    health,
    cluster: {
      daemonId: id,
      leader: () => schedulerRef.s?.leader ?? false,
      owned: () => {
        const mine = new Set(svc.channels.owned())
        return svc.channels.stateful().map((channel) => ({ channel, owned: mine.has(channel) }))
      },
    },
  })
  const apiLimiter = new TokenBucket(
    config.server.rate_limit.per_second,
    config.server.rate_limit.burst,
  )
  const now = opts.now ?? (() => new Date())
  // A store shared by several daemons carries live events between them (LISTEN/NOTIFY). The bus's
  // origin is its own random id, not the daemon id: two gateways of one process must not take
  // each other's events for their own.
  const liveLog = log.child({ component: 'live' })
  const sharedBus = store.notifications
    ? new SharedBus(store.notifications, { log: liveLog })
    : null
  const svc: Services = {
    config: () => config,
    store,
    log,
    channels: null as unknown as ChannelRegistry,
    events: eventFactory(() => config),
    live: sharedBus ?? new InProcessBus(liveLog),
    links: await attachmentLinks({
      kv: store.kv,
      publicUrl: () => config.server.public_url,
      ttlMs: () => config.security.attachment_link_ttl_ms,
    }),
    unsubscribe: await unsubscribeLinks({
      kv: store.kv,
      publicUrl: () => config.server.public_url,
    }),
    metrics,
    apiLimiter,
    health,
    storeFaults: new StoreFaults({ health, errors: metrics.storeErrors, store, log, now }),
    now,
    healthy: () => running && !stopping,
    stopping: () => stopping,
    reload: async () => {
      if (!opts.reloadConfig)
        return { ok: false, errors: 'this gateway was started without a config file' }
      try {
        const next = opts.reloadConfig()
        config = next
        apiLimiter.configure(next.server.rate_limit.per_second, next.server.rate_limit.burst)
        await svc.channels.apply(next)
        log.info({ file: next.file, warnings: next.warnings }, 'config reloaded')
        return { ok: true }
      } catch (e) {
        const errors = e instanceof ConfigError ? e.message : (e as Error).message
        log.error({ errors }, 'config reload failed; the running config is kept')
        return { ok: false, errors }
      }
    },
    kick: () => {
      outboxRef.w?.kick()
      outboxRef.h?.kick()
    },
    cluster,
    leader: () => schedulerRef.s?.leader ?? false,
  }
  const presence = new Presence(
    () => svc.now().getTime(),
    store.notifications ? storePresenceTransport(store.notifications, log) : null,
  )
  svc.presence = presence
  presence.start()
  svc.channels = new ChannelRegistry(
    log,
    {
      inbound: async (channel, msg) => {
        const r = await receiveInbound(svc, channel, msg)
        svc.kick()
        return r
      },
      status: async (channel, u) => {
        await receiveStatus(svc, channel, u)
        svc.kick()
      },
      reachability: async (channel, address, reachable) => {
        await store.identities.setReachable(channel, address, reachable, svc.now().toISOString())
      },
      kv: store.kv,
      connected: () => svc.kick(),
      loops: health,
    },
    config.store.data_dir,
    opts.connectorFactory,
    cluster,
  )

  if (isLocalUrl(config.server.public_url) && hasEmailChannel(config)) {
    log.warn(
      { component: 'consent', public_url: config.server.public_url },
      'server.public_url is a local address: email is sent without a List-Unsubscribe link ' +
        '(set it to the URL people reach this server on)',
    )
  }
  const app = buildApp(svc, routes(svc))
  mountConsole(app, opts.consoleDir ?? defaultConsoleDir())
  // Before the dispatcher leases anything: a cancelled bulk's jobs must not go out after a restart.
  await loadCancelledBulks(svc)
  cluster.start()
  await svc.channels.apply(config)
  const outbox = new OutboxWorker(svc, opts.leaseClock)
  const webhooks = new WebhookWorker(svc)
  outboxRef.w = outbox
  outboxRef.h = webhooks
  if (opts.dispatcher !== false) {
    outbox.start()
    webhooks.start()
  }
  sharedBus?.start()
  const bulk = bulkRunner(svc)
  // One daemon at a time runs these (DESIGN §10); each finds its work in the store, so a new
  // leader picks up where the last one was. Automations and fallback timers join this list.
  const automationsRef: { r: AutomationRunner | null } = { r: null }
  // Web chat fallback timers are set in every daemon (each hears every `sent`) and run by one.
  const stopFallbackTimers = scheduleFallbacks(svc)
  const scheduler = new Scheduler(cluster, log, [
    () => snoozeWaker(svc),
    () => bulk,
    () => (automationsRef.r = automationRunner(svc)),
    () => fallbackRunner(svc),
  ])
  schedulerRef.s = scheduler
  scheduler.start()
  // Not a singleton: it watches only channels whose connector is connected here, and a watched
  // (stateful) channel is connected in its owner alone — the scheduler's leader may not be it.
  const watchdog = new AckWatchdog(svc)
  watchdog.start()
  running = true

  return {
    svc,
    app,
    store,
    outbox,
    watchdog,
    bulk,
    cluster,
    scheduler,
    automations: () => (scheduler.leader ? automationsRef.r : null),
    async stop(graceMs = 10_000) {
      if (stopping) return
      stopping = true
      await scheduler.stop()
      presence.stop()
      stopFallbackTimers()
      svc.storeFaults.stop()
      await watchdog.stop()
      await outbox.stop(graceMs)
      await webhooks.stop()
      await svc.channels.stopAll()
      await sharedBus?.close()
      await cluster.stop()
      await store.close()
    },
  }
}

/** The store's shared locks as the cluster's backend. */
function sharedBackend(locks: SharedLocks): LockBackend {
  return {
    shared: true,
    acquire: (names) => locks.acquire(names),
    release: (name) => locks.release(name),
    owners: (names) => locks.owners(names),
    close: () => locks.close(),
  }
}

function hasEmailChannel(config: ResolvedConfig): boolean {
  return Object.values(config.channels).some((c) => c.info.type === 'email')
}

/** Loads the config file for the daemon and for reloads, with the CLI's overrides. */
export function configLoader(
  file: string,
  overrides: { dataDir?: string; listen?: string },
): () => ResolvedConfig {
  return () => loadConfig(file, { env: process.env, ...overrides })
}
