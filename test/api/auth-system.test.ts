/**
 * Auth on every route (enumerated from the routing table itself), roles, the API's own rate
 * limit, health, metrics, OpenAPI, reload, and the error catalog kept in sync with docs/api.md.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { allErrorCodes } from '../../src/gateway/errors.js'
import { routes } from '../../src/gateway/http/routes.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const CONFIG = `server:
  rate_limit: { per_second: 5, burst: 5 }
channels:
  sms:
    type: webhook
    url: http://127.0.0.1:9/out
    secret: sms-secret
  web:
    type: webpush
    secret: web-secret
`

let t: TestGateway
beforeEach(async () => {
  t = await startGateway(CONFIG)
})
afterEach(async () => {
  await t.close()
})

const concrete = (path: string) =>
  path
    .replace(':id', 'ct_01jabcdefghjkmnpqrstvwxyz0')
    .replace(':name', 'sms')
    .replace(':type', 'webhook')

describe('authentication', () => {
  it('every key route answers 401 without a key and with an unknown one', async () => {
    const table = routes(t.gw.svc).filter((r) => r.auth.kind === 'key')
    expect(table.length).toBeGreaterThan(15)
    for (const r of table) {
      const none = await t.call(r.method, concrete(r.path), { key: null, body: {} })
      expect([r.method, r.path, none.status, none.body.error?.code]).toEqual([
        r.method,
        r.path,
        401,
        'unauthorized',
      ])
      const unknown = await t.call(r.method, concrete(r.path), { key: 'not-a-key', body: {} })
      expect([r.path, unknown.status]).toEqual([r.path, 401])
    }
  })

  it('every channel-facing and attachment route refuses a missing signature', async () => {
    for (const [method, path] of [
      ['POST', '/v1/channels/sms/inbound'],
      ['POST', '/v1/channels/sms/status'],
      ['POST', '/v1/channels/web/subscriptions'],
      ['GET', '/v1/attachments/att_01jabcdefghjkmnpqrstvwxyz0'],
    ] as const) {
      const r = await t.call(method, path, { key: null, body: { id: 'x' } })
      expect([path, r.status]).toEqual([path, 401])
    }
  })

  it('enforces roles: reload is admin-only', async () => {
    expect((await t.call('POST', '/v1/admin/reload', { key: KEYS.alice })).status).toBe(403)
    expect((await t.call('POST', '/v1/admin/reload', { key: KEYS.shop })).status).toBe(403)
    expect((await t.call('POST', '/v1/admin/reload', { key: KEYS.admin })).status).toBe(200)
  })

  it('answers 429 with Retry-After past the per-key rate limit, other keys unaffected', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 8; i++)
      statuses.push((await t.call('GET', '/v1/channels', { key: KEYS.bob })).status)
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200])
    const limited = await t.call('GET', '/v1/channels', { key: KEYS.bob })
    expect(limited.status).toBe(429)
    expect(limited.body.error.code).toBe('rate_limited')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await t.call('GET', '/v1/channels', { key: KEYS.alice })).status).toBe(200)
  })
})

describe('system routes', () => {
  it('healthz needs no key', async () => {
    const r = await t.call('GET', '/healthz', { key: null })
    expect(r).toMatchObject({ status: 200, body: { status: 'ok' } })
  })

  it('metrics are Prometheus text with the outbox depth', async () => {
    const r = await t.call('GET', '/metrics', { key: null })
    expect(r.status).toBe(200)
    expect(r.body).toContain('omnigate_outbox_depth 0')
    expect(r.body).toContain('omnigate_messages_accepted_total')
  })

  it('openapi.json lists every route of the table with its body schema', async () => {
    const r = await t.call('GET', '/v1/openapi.json', { key: null })
    expect(r.status).toBe(200)
    for (const route of routes(t.gw.svc)) {
      const p = route.path.replace(/:(\w+)/g, '{$1}')
      expect(r.body.paths[p]?.[route.method.toLowerCase()], `${route.method} ${p}`).toBeDefined()
    }
    const ref = r.body.paths['/v1/messages'].post.requestBody.content['application/json'].schema
    const send = r.body.components.schemas[ref.$ref.replace('#/components/schemas/', '')]
    expect(Object.keys(send.properties)).toEqual(
      expect.arrayContaining([
        'contact_id',
        'to',
        'thread_id',
        'text',
        'template',
        'attachments',
        'email',
        'dry_run',
      ]),
    )
  })

  it('GET /v1/channels shows each channel with state and rules', async () => {
    const r = await t.call('GET', '/v1/channels')
    expect(r.body.items).toEqual([
      expect.objectContaining({
        name: 'sms',
        type: 'webhook',
        state: 'connected',
        rules: expect.objectContaining({ single_open_thread: true }),
      }),
      expect.objectContaining({ name: 'web', type: 'webpush', state: 'connected', detail: null }),
    ])
  })

  it('405 for a known path with another method, 404 JSON for unknown paths', async () => {
    expect((await t.call('DELETE', '/v1/messages')).status).toBe(405)
    const nf = await t.call('GET', '/v1/nope')
    expect(nf.status).toBe(404)
    expect(nf.body.error.code).toBe('not_found')
  })

  it('reload with an invalid file answers 422 with the errors and keeps the running config', async () => {
    const good = readFileSync(t.file, 'utf8')
    writeFileSync(t.file, good.replace('type: webhook', 'type: webhok'))
    const r = await t.call('POST', '/v1/admin/reload')
    expect(r.status).toBe(422)
    expect(r.body.error.code).toBe('config_invalid')
    expect(r.body.error.details.errors.join('\n')).toMatch(
      /gateway\.config\.yaml:\d+:\d+: channels\.sms/,
    )
    expect(
      (await t.call('GET', '/v1/channels')).body.items.map((c: { name: string }) => c.name),
    ).toEqual(['sms', 'web'])
    writeFileSync(t.file, good.replace('sms:', 'texts:'))
    expect((await t.call('POST', '/v1/admin/reload')).status).toBe(200)
    expect(
      (await t.call('GET', '/v1/channels')).body.items.map((c: { name: string }) => c.name),
    ).toEqual(['texts', 'web'])
  })
})

describe('error catalog', () => {
  it('docs/api.md lists every error code, and no code the API does not have', () => {
    const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8')
    const section = doc.slice(doc.indexOf('## Error codes'))
    const documented = new Set([...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]))
    expect([...documented].sort()).toEqual(allErrorCodes())
  })
})
