/**
 * The wiring: store, channels, dispatcher, app webhooks, snooze waker and the HTTP app, from one
 * resolved config. `createGateway()` does not listen: the daemon (`daemon.ts`) serves its app, and
 * in-process tests call `app.request()` on it.
 */
import type { Hono } from 'hono'
import type { Logger } from 'pino'
import { createConnector } from '../connectors/index.js'
import { openStore, type OpenStoreOptions } from '../store/index.js'
import type { Store } from '../store/types.js'
import { attachmentLinks } from './attachments/index.js'
import { ChannelRegistry } from './channels/registry.js'
import { loadConfig } from './config/load.js'
import { ConfigError, type ResolvedConfig } from './config/types.js'
import { OutboxWorker } from './dispatcher/outbox-worker.js'
import { TokenBucket } from './dispatcher/rate-limiter.js'
import { WebhookWorker } from './dispatcher/webhook-worker.js'
import { eventFactory } from './events.js'
import { InProcessBus } from './live/index.js'
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
  /** Graceful stop: in-flight sends get `graceMs`, the rest stays queued. */
  stop(graceMs?: number): Promise<void>
}

export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  let config = opts.config
  const log = opts.log
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
  const metrics = createMetrics({
    outboxDepth: () => store.outbox.depth(),
    webhookDepth: () => store.webhooks.depth(),
    health,
  })
  const apiLimiter = new TokenBucket(
    config.server.rate_limit.per_second,
    config.server.rate_limit.burst,
  )
  const now = opts.now ?? (() => new Date())
  const svc: Services = {
    config: () => config,
    store,
    log,
    channels: null as unknown as ChannelRegistry,
    events: eventFactory(() => config),
    live: new InProcessBus(log.child({ component: 'live' })),
    links: await attachmentLinks({
      kv: store.kv,
      publicUrl: () => config.server.public_url,
      ttlMs: () => config.security.attachment_link_ttl_ms,
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
  }
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
  )

  const app = buildApp(svc, routes(svc))
  mountConsole(app, opts.consoleDir ?? defaultConsoleDir())
  // Before the dispatcher leases anything: a cancelled bulk's jobs must not go out after a restart.
  await loadCancelledBulks(svc)
  await svc.channels.apply(config)
  const outbox = new OutboxWorker(svc, opts.leaseClock)
  const webhooks = new WebhookWorker(svc)
  outboxRef.w = outbox
  outboxRef.h = webhooks
  if (opts.dispatcher !== false) {
    outbox.start()
    webhooks.start()
  }
  const waker = snoozeWaker(svc)
  waker.start()
  const watchdog = new AckWatchdog(svc)
  watchdog.start()
  const bulk = bulkRunner(svc)
  bulk.start()
  running = true

  return {
    svc,
    app,
    store,
    outbox,
    watchdog,
    bulk,
    async stop(graceMs = 10_000) {
      if (stopping) return
      stopping = true
      await waker.stop()
      svc.storeFaults.stop()
      await bulk.stop()
      await watchdog.stop()
      await outbox.stop(graceMs)
      await webhooks.stop()
      await svc.channels.stopAll()
      await store.close()
    },
  }
}

/** Loads the config file for the daemon and for reloads, with the CLI's overrides. */
export function configLoader(
  file: string,
  overrides: { dataDir?: string; listen?: string },
): () => ResolvedConfig {
  return () => loadConfig(file, { env: process.env, ...overrides })
}
