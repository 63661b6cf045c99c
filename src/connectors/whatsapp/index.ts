/**
 * WhatsApp Web connector (`type: whatsapp`, DESIGN §7): whatsapp-web.js drives the system Chromium
 * against web.whatsapp.com as a linked device of a phone. LocalAuth keeps the session under the
 * data folder, so the QR pairing happens once. The library (and puppeteer) is loaded only when a
 * channel starts.
 */
import { join } from 'node:path'
import type { Logger } from 'pino'
import { CHANNEL_LIMITS } from '../limits.js'
import type { Connector, ConnectorContext, ConnectorDeps } from '../types.js'
import { WHATSAPP_CAPABILITIES } from './capabilities.js'
import { DEFAULT_RECONNECT_BACKOFF, type Backoff } from './backoff.js'
import { findChromium } from './chromium.js'
import type {
  WhatsAppClientFactory,
  WhatsAppClientLike,
  WhatsAppMediaFactory,
} from './client-like.js'
import { Connection, DEFAULT_INIT_TIMEOUT_MS } from './connection.js'
import { forwardMessages } from './events.js'
import { sendOutbound } from './outbound.js'
import { notConnected } from './send-error.js'
import type { WhatsAppSettings } from './settings.js'
import { loadWhatsAppWeb } from './wweb-loader.js'

export type * from './client-like.js'
export type { WhatsAppSettings } from './settings.js'
export type { Backoff } from './backoff.js'

/** Test seams; everything defaults to the real library. */
export interface WhatsAppConnectorOptions {
  /** Builds the `Client` (a fake in tests); default: whatsapp-web.js with LocalAuth. */
  clientFactory?: WhatsAppClientFactory
  /** Builds media for `sendMessage()`; default: the library's `MessageMedia`. */
  mediaFactory?: WhatsAppMediaFactory
  initTimeoutMs?: number
  backoff?: Backoff
  /** PATH to search for Chromium; default `process.env.PATH`. */
  pathEnv?: string
}

const SAFE_FOLDER = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** With a custom client factory and no media factory: plain objects (what a fake accepts). */
const plainMedia: WhatsAppMediaFactory = (mimetype, data, filename, filesize) => ({
  mimetype,
  data,
  filename,
  filesize,
})

/** Creates the connector; nothing is loaded or launched before `start()`. */
export function createWhatsAppConnector(
  deps: ConnectorDeps,
  settings: WhatsAppSettings,
  opts: WhatsAppConnectorOptions = {},
): Connector {
  let client: WhatsAppClientLike | null = null
  let connection: Connection | null = null
  let makeMedia: WhatsAppMediaFactory = opts.mediaFactory ?? plainMedia
  let log: Logger | null = null

  function fail(ctx: ConnectorContext, detail: string): void {
    ctx.state({ state: 'error', detail })
    ctx.log.error(`whatsapp: ${detail}`)
  }

  async function clientFactory(ctx: ConnectorContext): Promise<WhatsAppClientFactory | null> {
    if (opts.clientFactory) return opts.clientFactory
    try {
      const wa = await loadWhatsAppWeb()
      makeMedia = opts.mediaFactory ?? wa.mediaFactory
      return wa.clientFactory
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      fail(ctx, `whatsapp-web.js could not be loaded: ${why}`)
      return null
    }
  }

  return {
    name: deps.name,
    type: 'whatsapp',
    limits: CHANNEL_LIMITS.whatsapp,
    capabilities: {
      ...WHATSAPP_CAPABILITIES,
      // A phone acknowledges delivery; a message never acknowledged is flagged (watchdog.ts).
      ackWatch: { undeliveredAfterMs: settings.undelivered_after },
      vapidPublicKey: null,
      // One logged-in browser session per number.
      stateful: true,
    },

    async start(ctx) {
      log = ctx.log
      const session = settings.session
      if (!SAFE_FOLDER.test(session) || session.includes('..')) {
        return fail(
          ctx,
          `session: "${session}" must be a plain folder name (letters, digits, . _ -)`,
        )
      }
      const chromium = findChromium(settings.chromium_path, opts.pathEnv ?? process.env.PATH)
      if ('error' in chromium) return fail(ctx, chromium.error)
      ctx.state({ state: 'connecting', detail: 'starting Chromium' })
      const factory = await clientFactory(ctx)
      if (factory === null) return
      const c = factory({
        dataPath: join(ctx.dataDir, session),
        clientId: deps.name.replace(/[^-_\w]/g, '_'), // LocalAuth accepts only these characters
        executablePath: chromium.path,
      })
      client = c
      forwardMessages(c, ctx, () => client === c)
      connection = new Connection(c, (s) => ctx.state(s), ctx.log, {
        initTimeoutMs: opts.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS,
        backoff: opts.backoff ?? DEFAULT_RECONNECT_BACKOFF,
        ...(ctx.loops ? { loops: ctx.loops } : {}),
      })
      connection.start()
    },

    async send(out) {
      if (client === null || connection === null || connection.state !== 'connected') {
        throw notConnected(connection?.state ?? 'not started')
      }
      return sendOutbound(client, out, makeMedia)
    },

    async stop() {
      const conn = connection
      connection = null
      client = null
      if (conn !== null) {
        await conn.stop()
        log?.info('whatsapp: stopped')
      }
    },
  }
}
