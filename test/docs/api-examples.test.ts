/**
 * The API examples of README.md and docs/** against the real gateway on the shipped
 * gateway.config.yaml (with `SMS_RELAY_URL`/`SMS_RELAY_SECRET` set, as README says; markers:
 * test/docs/markdown-blocks.ts):
 * - every `curl -s localhost:8080/…` names a route of the routing table and is replayed, its
 *   documented answer compared with the real one;
 * - request examples pass the route's own body schema;
 * - response examples have the shape of the real answer: the OpenAPI response schema where
 *   `/v1/openapi.json` has one, and the top-level keys of the same route's answer in the scenario
 *   below;
 * - the relay body is what a webhook channel really POSTs.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { loadConfig } from '../../src/gateway/config/load.js'
import { createGateway, type Gateway } from '../../src/gateway/gateway.js'
import type { Route } from '../../src/gateway/http/route.js'
import { routes } from '../../src/gateway/http/routes.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { curlCalls, type CurlCall } from './curl.js'
import { keyShapeMismatches, matchesDocumented, sortedKeys } from './json-compare.js'
import { allBlocks, parseMarker, ROOT, where, type Block } from './markdown-blocks.js'
import { schemaErrors } from './schema-check.js'

const BLOCKS = allBlocks()

/** The key README's examples use (`OMNIGATE_ADMIN_KEY=change-me`); `$KEY` in docs/api.md. */
const ADMIN_KEY = 'change-me'
const SHELL_ENV = { KEY: ADMIN_KEY, OMNIGATE_ADMIN_KEY: ADMIN_KEY }
const RELAY_SECRET = 'docs-relay-secret'

const tmp = mkdtempSync(join(tmpdir(), 'omnigate-docs-api-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('API examples against the shipped gateway.config.yaml', () => {
  let relay: WebhookReceiver
  let gw: Gateway
  let table: Route[]
  let openapi: Record<string, unknown>
  /** The last real answer of each route, by `METHOD /path/{param} STATUS`. */
  const recorded = new Map<string, unknown>()
  /** Each curl of each ```sh block, with its real answer. */
  const curls = new Map<Block, Array<{ call: CurlCall; status: number; json: unknown }>>()
  let relayBody: unknown

  const pattern = (r: Route) => r.path.replace(/:(\w+)/g, '{$1}')
  function routeOf(method: string, path: string): Route | undefined {
    const parts = path.split('?')[0]?.split('/') ?? []
    return table.find((r) => {
      const want = r.path.split('/')
      return (
        r.method === method &&
        want.length === parts.length &&
        want.every((w, i) => (w.startsWith(':') ? (parts[i] ?? '') !== '' : w === parts[i]))
      )
    })
  }

  async function call(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ) {
    const res = await gw.app.request(path, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    })
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    const r = routeOf(method, path)
    if (r && json !== undefined) recorded.set(`${method} ${pattern(r)} ${res.status}`, json)
    return { status: res.status, json: json as Record<string, any> }
  }
  const api = (method: string, path: string, body?: unknown) =>
    call(
      method,
      path,
      { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body === undefined ? undefined : JSON.stringify(body),
    )

  beforeAll(async () => {
    relay = await startWebhookReceiver({ secret: RELAY_SECRET })
    const file = join(tmp, 'gateway.config.yaml')
    copyFileSync(join(ROOT, 'gateway.config.yaml'), file)
    const env = {
      OMNIGATE_ADMIN_KEY: ADMIN_KEY,
      SMS_RELAY_URL: relay.url,
      SMS_RELAY_SECRET: RELAY_SECRET,
    }
    const load = () => loadConfig(file, { env, dataDir: join(tmp, 'data') })
    gw = await createGateway({
      config: load(),
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      reloadConfig: load,
      dispatcher: true,
    })
    await gw.svc.channels.settled()
    table = routes(gw.svc)
    openapi = (await call('GET', '/v1/openapi.json', {})).json

    // The docs' own commands, in reading order (README first).
    for (const b of BLOCKS.filter((x) => x.lang === 'sh')) {
      const results = []
      for (const c of curlCalls(b.text, SHELL_ENV)) {
        const r = await call(c.method, c.path, c.headers, c.body)
        results.push({ call: c, status: r.status, json: r.json })
      }
      if (results.length > 0) curls.set(b, results)
    }

    // A scenario that answers every route a response example shows, driven by the relay example.
    const outbound = BLOCKS.find((b) => parseMarker(b.marker).kind === 'webhook-outbound')
    const ex = JSON.parse(outbound?.text ?? '{}') as Record<string, any>
    const sent = await api('POST', '/v1/messages', {
      to: { channel: 'sms', address: ex.to.address, first_name: ex.to.first_name },
      template: ex.template,
      attachments: (ex.attachments as Array<Record<string, unknown>>).map((a) => ({
        filename: a.filename,
        content_type: a.content_type,
        data: Buffer.from('%PDF-1.4\n').toString('base64'),
      })),
    })
    expect(sent.status, JSON.stringify(sent.json)).toBe(202)
    const relayed = () =>
      relay.received.find((r) => (r.json as { id?: string }).id === sent.json.id)
    for (let waited = 0; !relayed() && waited < 5000; waited += 20) await sleep(20)
    relayBody = relayed()?.json
    const contact = sent.json.contact_id as string
    await api('GET', `/v1/messages/${sent.json.id}`)
    await api('GET', '/v1/threads')
    await api('GET', '/v1/channels')
    await api('GET', '/v1/contacts')
    await api('GET', `/v1/contacts/${contact}/eligibility`)
    await api('GET', `/v1/contacts/${contact}/timeline`)
    const bulk = await api('POST', '/v1/bulk', {
      contact_ids: [contact],
      channel: 'sms',
      text: 'Your refund is on its way',
    })
    await api('GET', `/v1/bulk/${bulk.json.id}`)
    const raw = JSON.stringify({
      id: 'docs-in-1',
      from: { address: ex.to.address },
      text: 'Thanks',
    })
    await call(
      'POST',
      '/v1/channels/sms/inbound',
      { 'content-type': 'application/json', 'x-omnigate-signature': sign(RELAY_SECRET, raw) },
      raw,
    )
  })
  afterAll(async () => {
    await gw?.stop(1000)
    await relay?.close()
  })

  const shBlocks = BLOCKS.filter((b) => b.lang === 'sh' && /curl -s localhost:8080\//.test(b.text))
  it.each(shBlocks.map((b) => [where(b), b] as const))(
    '%s: each curl names a route and is answered as documented',
    (_, b) => {
      const results = curls.get(b) ?? []
      expect(results.length).toBeGreaterThan(0)
      const next = BLOCKS[BLOCKS.indexOf(b) + 1]
      const answer = next?.file === b.file ? parseMarker(next.marker) : { kind: 'none' as const }
      results.forEach((r, i) => {
        const label = `${r.call.method} ${r.call.path}`
        expect(routeOf(r.call.method, r.call.path), `${label} is not in routes.ts`).toBeDefined()
        const last = i === results.length - 1
        if (last && answer.kind === 'curl-answer' && next) {
          expect(r.status, label).toBe(answer.status)
          expect(matchesDocumented(JSON.parse(next.text), r.json), where(next)).toEqual([])
        } else {
          expect([label, r.status, r.json], 'a documented command succeeds').toEqual([
            label,
            expect.toSatisfy((s: number) => s >= 200 && s < 300),
            expect.anything(),
          ])
        }
      })
    },
  )

  const marked = (kind: string) =>
    BLOCKS.filter((b) => b.lang === 'json' && parseMarker(b.marker).kind === kind).map(
      (b) => [where(b), b] as const,
    )

  it.each(marked('response'))('%s has the shape of the real answer', (_, b) => {
    const m = parseMarker(b.marker)
    if (m.kind !== 'response') return
    const example = JSON.parse(b.text) as Parameters<typeof schemaErrors>[1]
    const key = `${m.method} ${m.path} ${m.status}`
    const paths = openapi.paths as Record<string, Record<string, any>>
    const op = paths[m.path]?.[m.method.toLowerCase()]
    expect(op, `${key}: no such route in /v1/openapi.json`).toBeDefined()
    const schema = op?.responses?.[String(m.status)]?.content?.['application/json']?.schema
    const named = typeof schema?.$ref === 'string' ? String(schema.$ref) : null
    const components = (openapi.components as { schemas?: Record<string, unknown> }).schemas ?? {}
    const usable = schema !== undefined && (named === null || named.split('/').pop()! in components)
    if (usable) expect(schemaErrors(schema, example, openapi), key).toEqual([])
    const real = recorded.get(key)
    expect(
      usable || real !== undefined,
      `${key}: no schema and no real answer in the scenario`,
    ).toBe(true)
    if (real !== undefined) expect(sortedKeys(example), key).toEqual(sortedKeys(real))
  })

  it.each(marked('request'))('%s passes the route’s body schema', (_, b) => {
    const m = parseMarker(b.marker)
    if (m.kind !== 'request') return
    const r = table.find((x) => x.method === m.method && pattern(x) === m.path)
    expect(r?.body, `${m.method} ${m.path} has a body schema`).toBeDefined()
    const parsed = r?.body?.safeParse(JSON.parse(b.text))
    expect(parsed?.error?.issues ?? []).toEqual([])
  })

  it.each(marked('webhook-outbound'))('%s is what a webhook channel POSTs', (_, b) => {
    const doc = JSON.parse(b.text) as { text: string }
    expect(keyShapeMismatches(doc, relayBody)).toEqual([])
    // Sent with the example's template and variables: the rendered text is the documented one.
    expect((relayBody as { text: string }).text).toBe(doc.text)
  })
})
