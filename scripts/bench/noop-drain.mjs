/**
 * P2's no-op figure, in its own process (forked, IPC): the real gateway (createGateway: config
 * loader, store, dispatcher) with a connector factory whose connector answers every send at once,
 * so what is measured is the dispatcher's own work per message — lease, pace, build the payload,
 * record `sent` — on a database with `n` queued messages.
 * Args: CONFIG N. IPC: `ready`; `drain` → {result: {rate, sends, sent, ms}}.
 */
import { pino } from 'pino'
import { dist } from './lib/paths.mjs'
import { serveIpc, sleep } from './lib/proc.mjs'

const [configFile, n] = process.argv.slice(2)
const expected = Number(n)
const { loadConfig } = await import(dist('gateway/config/load.js'))
const { createGateway } = await import(dist('gateway/gateway.js'))
const { CHANNEL_LIMITS } = await import(dist('connectors/limits.js'))
const { CHANNEL_CAPABILITIES } = await import(dist('connectors/capabilities.js'))

let sends = 0
let firstAt = null

/** Connected at start, every send "delivered" with no I/O. */
function noopConnector(name, type) {
  return {
    name,
    type,
    limits: CHANNEL_LIMITS[type],
    // The dispatcher asks a connector for its capabilities (pacing jitter, idempotent sends).
    capabilities: { ...CHANNEL_CAPABILITIES[type], ackWatch: null, vapidPublicKey: null },
    async start(ctx) {
      ctx.state({ state: 'connected' })
    },
    async send(out) {
      firstAt ??= performance.now()
      sends++
      return { platformMessageId: `noop_${out.messageId}` }
    },
    async stop() {},
  }
}

async function drain() {
  const gw = await createGateway({
    config: loadConfig(configFile, { env: {} }),
    log: pino({ level: 'silent' }),
    connectorFactory: async (type, deps) => noopConnector(deps.name, type),
  })
  // The outbox is empty once every job is completed (and its outcome committed).
  while ((await gw.store.outbox.depth()) > 0) await sleep(5)
  const doneAt = performance.now()
  await gw.stop(1000)
  const { openDatabase } = await import(dist('store/sqlite/open-database.js'))
  const db = openDatabase(gw.svc.config().store.sqlite, { readonly: true })
  const sent = db.prepare(`SELECT count(*) AS n FROM messages WHERE status = 'sent'`).get().n
  db.close()
  if (sent !== expected) throw new Error(`no-op drain: ${sent} of ${expected} marked sent`)
  const ms = doneAt - firstAt
  return { rate: ((expected - 1) / ms) * 1000, sends, sent, ms }
}

serveIpc({ ready: () => ({}), drain: async () => ({ result: await drain() }) })
