/**
 * An in-process gateway for the reliability suites: test/helpers/harness.ts's setup (the real
 * config loader, SQLite in a temp dir, the real app through `app.request()`), but logging through
 * the daemon's own logger into the suites' log folder, so those logs are grepped for secrets too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../src/gateway/config/load.js'
import { createGateway, type Gateway, type GatewayOptions } from '../../../src/gateway/gateway.js'
import { authYaml, KEYS } from '../../helpers/harness.js'
import { fileLogger } from './logs.js'

export { KEYS }

export interface LoggedGateway {
  gw: Gateway
  dir: string
  db: string
  call(
    method: string,
    path: string,
    opts?: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; text: string; headers: Headers }>
  close(): Promise<void>
}

export async function startLoggedGateway(
  yamlBody: string,
  opts: {
    /** Log file name in the log folder (without .log). */
    log: string
    dispatcher?: boolean
    env?: Record<string, string>
    connectorFactory?: GatewayOptions['connectorFactory']
  },
): Promise<LoggedGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'omnigate-rel-'))
  const file = join(dir, 'gateway.config.yaml')
  const db = join(dir, 'omnigate.db')
  writeFileSync(file, `${authYaml()}store:\n  sqlite: ${db}\n${yamlBody}`)
  const load = () => loadConfig(file, { env: { ...opts.env } })
  const gw = await createGateway({
    config: load(),
    log: fileLogger(opts.log),
    reloadConfig: load,
    dispatcher: opts.dispatcher ?? false,
    ...(opts.connectorFactory ? { connectorFactory: opts.connectorFactory } : {}),
  })
  await gw.svc.channels.settled()
  return {
    gw,
    dir,
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
        // not JSON (metrics, attachments, platform hooks)
      }
      return { status: res.status, body: parsed, text, headers: res.headers }
    },
    async close() {
      await gw.stop(1000)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
