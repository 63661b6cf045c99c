/**
 * In-process gateway for API tests: a real config file (YAML, loaded by the real loader), a real
 * SQLite store in a temp dir, the real app answered through `app.request()`. Nothing is mocked.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino, type Logger } from 'pino'
import { loadConfig } from '../../src/gateway/config/load.js'
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway/gateway.js'
import {
  databaseForDir,
  dropTestDatabase,
  ensureTestDatabase,
  testStoreDialect,
} from './postgres.js'

export const KEYS = {
  admin: 'test-admin-key-0123456789',
  alice: 'test-agent-alice-0123456789',
  bob: 'test-agent-bob-0123456789',
  shop: 'test-app-shop-0123456789',
} as const

const sha = (k: string): string => createHash('sha256').update(k).digest('hex')

/** The auth block every test config starts with: one key per role. */
function authYaml(): string {
  return `auth:
  keys:
    - { id: ops, role: admin, sha256: "${sha(KEYS.admin)}" }
    - { id: alice, name: Alice Doe, role: agent, sha256: "${sha(KEYS.alice)}" }
    - { id: bob, role: agent, sha256: "${sha(KEYS.bob)}" }
    - { id: shop, role: app, sha256: "${sha(KEYS.shop)}" }
`
}

export interface TestGateway {
  gw: Gateway
  dir: string
  file: string
  /** The SQLite file (unused when the suite runs on PostgreSQL: OMNIGATE_TEST_STORE=postgres). */
  db: string
  call(
    method: string,
    path: string,
    opts?: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; text: string; headers: Headers }>
  /** Stops the gateway and removes its folder. */
  close(): Promise<void>
  /** Stops the gateway but keeps its folder (to start it again with `dir`). */
  stop(): Promise<void>
}

export async function startGateway(
  yamlBody: string,
  opts: {
    dispatcher?: boolean
    env?: Record<string, string>
    now?: () => Date
    auth?: boolean
    /** Wraps the real connector factory, e.g. to give WhatsApp Web a fake client. */
    connectorFactory?: GatewayOptions['connectorFactory']
    /** PostgreSQL pass: this database instead of one of the data folder's own (a fault test's cluster). */
    postgresUrl?: string
    /** This store whatever the pass (`omnigate copy` tests build a SQLite one in the PostgreSQL pass). */
    dialect?: 'sqlite' | 'postgres'
    /** An existing data folder (a restart of the same gateway). */
    dir?: string
    /** Where the gateway logs (default: silent, or TEST_LOG_LEVEL). */
    log?: Logger
    /** The readiness clock (ms), to make loops stale without waiting 30 s. */
    healthClock?: () => number
    /** The dispatcher's lease clock (ms), to make a scheduled send due without waiting. */
    leaseClock?: () => number
    /** Runs on the SQLite connection once open (a test caps `max_page_count` on it). */
    onStoreOpen?: GatewayOptions['onStoreOpen']
    /** The daemon id (several in-process gateways share a host name and a pid). */
    daemonId?: string
  } = {},
): Promise<TestGateway> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'omnigate-test-'))
  const file = join(dir, 'gateway.config.yaml')
  const db = join(dir, 'omnigate.db')
  // OMNIGATE_TEST_STORE=postgres: a database of this data folder's own (kept across a restart
  // with `dir`, dropped by close()), copied from the migrated template (test/helpers/postgres.ts).
  const postgres = (opts.dialect ?? testStoreDialect()) === 'postgres'
  const store = postgres
    ? `  postgres: { url: "${opts.postgresUrl ?? (await ensureTestDatabase(databaseForDir(dir)))}", pool: 4 }`
    : `  sqlite: ${db}`
  const yaml = `${opts.auth === false ? '' : authYaml()}store:\n${store}\n${yamlBody}`
  writeFileSync(file, yaml)
  const env = { ...opts.env }
  const load = () => loadConfig(file, { env })
  const gw = await createGateway({
    config: load(),
    log: opts.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    reloadConfig: load,
    dispatcher: opts.dispatcher ?? false,
    ...(opts.connectorFactory ? { connectorFactory: opts.connectorFactory } : {}),
    ...(opts.onStoreOpen ? { onStoreOpen: opts.onStoreOpen } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.healthClock ? { healthClock: opts.healthClock } : {}),
    ...(opts.daemonId ? { daemonId: opts.daemonId } : {}),
    ...(opts.leaseClock ? { leaseClock: opts.leaseClock } : {}),
  })
  await gw.svc.channels.settled()
  return {
    gw,
    dir,
    file,
    db,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) }
      const key = o.key === undefined ? KEYS.admin : o.key
      if (key !== null) headers.authorization = `Bearer ${key}`
      let body: string | undefined = o.raw
      if (o.body !== undefined && method !== 'GET' && method !== 'HEAD') {
        body = JSON.stringify(o.body)
        headers['content-type'] ??= 'application/json'
      }
      const res = await gw.app.request(path, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
      })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // not JSON (metrics, attachments)
      }
      return { status: res.status, body: parsed, text, headers: res.headers }
    },
    async close() {
      await gw.stop(1000)
      if (postgres && !opts.postgresUrl) await dropTestDatabase(databaseForDir(dir))
      rmSync(dir, { recursive: true, force: true })
    },
    async stop() {
      await gw.stop(1000)
    },
  }
}
