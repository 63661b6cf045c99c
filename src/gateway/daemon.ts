/**
 * `omnigate serve`: loads the config, builds the gateway, listens, and handles the process signals —
 * SIGHUP re-reads the config (an invalid file keeps the running one), SIGTERM/SIGINT stop
 * gracefully (new requests get 503, in-flight sends get up to 10 s, the rest stays queued, the store
 * is closed).
 */
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import type { Logger } from 'pino'
import { warningsBesideChannels } from './config/resolve.js'
import { configLoader, createGateway, type Gateway } from './gateway.js'

/** DESIGN §2: in-flight sends get this long on SIGTERM; what is left stays queued for the next start. */
const STOP_GRACE_MS = 10_000

export interface ServeOptions {
  configFile: string
  dataDir?: string
  listen?: string
  log: Logger
}

export interface RunningDaemon {
  gateway: Gateway
  server: ServerType
  port: number
  stop(): Promise<void>
}

export async function startDaemon(opts: ServeOptions): Promise<RunningDaemon> {
  const started = Date.now()
  const load = configLoader(opts.configFile, {
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.listen ? { listen: opts.listen } : {}),
  })
  const config = load()
  // Disabled channels are logged once, by the channel registry, with their fields.
  for (const w of warningsBesideChannels(config)) opts.log.warn({ component: 'config' }, w)
  const gateway = await createGateway({ config, log: opts.log, reloadConfig: load })
  const { host, port } = config.server
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: gateway.app.fetch, hostname: host, port }, () => resolve(s))
    s.once('error', reject)
  })
  const bound = (server.address() as AddressInfo).port
  opts.log.info(
    {
      component: 'daemon',
      pid: process.pid, // the process to signal: `npm start` puts npm in front of it
      daemon_id: gateway.cluster.daemonId, // the `owner` GET /v1/channels and /metrics name
      listen: `${host}:${bound}`,
      data: config.store.data_dir,
      ms: Date.now() - started,
    },
    'omnigate is serving',
  )
  let stopping: Promise<void> | null = null
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      opts.log.info({ component: 'daemon' }, 'stopping')
      const closed = new Promise<void>((r) => server.close(() => r()))
      await gateway.stop(STOP_GRACE_MS)
      // Keep-alive sockets would hold close() open: the gateway answers 503 on them meanwhile.
      ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      await closed
      opts.log.info({ component: 'daemon' }, 'stopped')
    })())
  return { gateway, server, port: bound, stop }
}

/**
 * Wires signals to a daemon that is starting; resolves when it has stopped. Call it before the
 * daemon starts serving: a stop signal that arrived between the "serving" line and the handlers
 * would otherwise meet Node's default action and kill the process mid-start (seen on a loaded
 * machine, where a supervisor reacting to that line can beat the next few instructions).
 */
export function handleSignals(starting: Promise<RunningDaemon>, log: Logger): Promise<void> {
  return new Promise((resolve) => {
    // A daemon that fails to start has nothing to stop: its caller reports the error.
    starting.catch(() => resolve())
    const onStop = (sig: string) => () => {
      log.info({ component: 'daemon', signal: sig }, 'signal received')
      starting
        .then((d) => d.stop())
        .then(resolve, (err: unknown) => {
          log.error({ err }, 'stop failed')
          resolve()
        })
    }
    // `on`, not `once`: one stop can be signalled twice (Ctrl-C reaches `npm start` and the daemon,
    // and npm forwards it); after a `once` the second would kill node mid-stop. stop() is idempotent.
    process.on('SIGTERM', onStop('SIGTERM'))
    process.on('SIGINT', onStop('SIGINT'))
    process.on('SIGHUP', () => {
      log.info({ component: 'daemon', signal: 'SIGHUP' }, 'reloading config')
      starting.then((d) => d.gateway.svc.reload()).catch(() => undefined)
    })
  })
}
