/**
 * Security (DESIGN §9), against a gateway with every channel type on its local fake:
 *   - every route of the routing table is checked by its declared guard: `key` routes answer 401
 *     without a key, with an unknown or malformed one, and 403 to each role they do not allow;
 *     `channel` routes answer 401 to a missing or wrong signature on every channel they serve and
 *     never 2xx on any; `public` routes are a short, named list (a new public route fails here);
 *   - keys are kept only as sha256 and compared in constant time (a code check of auth.ts: the
 *     presented key is hashed, compared with timingSafeEqual against every key, no early exit);
 *     no plaintext key in the resolved config, `check-config`'s output, or any file the daemon
 *     writes (database, WAL, blobs, keys);
 *   - URLs from requests (attachment `url`, push endpoints) to loopback/private/link-local
 *     addresses are refused, and nothing is fetched — unless `allow_private_urls` is on;
 *   - request bodies over `server.body_limit` get 413 on every route with a body, with or without
 *     a Content-Length, and the daemon carries on.
 */
import { execFileSync } from 'node:child_process'
import { createECDH, createHash, createHmac, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/gateway/config/load.js'
import { routes } from '../../src/gateway/http/routes.js'
import type { Route } from '../../src/gateway/http/route.js'
import { startDaemon } from './helpers/daemon.js'
import { KEYS, startLoggedGateway, type LoggedGateway } from './helpers/gateway.js'
import { findSecretsInLogs, logDir, registerSecrets } from './helpers/logs.js'
import { startPlatforms, type Platforms } from './helpers/platforms.js'

/** A browser's subscription keys: a P-256 public key (65 bytes) and a 16-byte auth secret. */
function pushKeys(): { p256dh: string; auth: string } {
  const ecdh = createECDH('prime256v1')
  return {
    p256dh: ecdh.generateKeys().toString('base64url'),
    auth: randomBytes(16).toString('base64url'),
  }
}

const ROOT = new URL('../../', import.meta.url).pathname
const TG_WEBHOOK_SECRET = `tgw${randomBytes(12).toString('hex')}`
const BODY_LIMIT = 64 * 1024

/** Routes with no guard at all, on purpose. Anything else public is a finding. */
const PUBLIC_ROUTES = [
  'GET /healthz',
  'GET /readyz', // readiness for load balancers: problem codes only, no detail
  'GET /metrics',
  'GET /v1/openapi.json',
  'GET /v1/attachments/:id', // checks a bearer key or the link's own signature itself
  'GET /v1/channels/:name/push-key', // a site's script needs the VAPID public key
  'GET /widget.js', // the web chat widget sites embed: a static script, no secret in it
  // RFC 8058 one-click unsubscribe from an email: the link's own signature is the authority
  // (test/api/unsubscribe.test.ts: a tampered or foreign link does nothing)
  'GET /unsubscribe/:token',
  'POST /unsubscribe/:token',
]

/** A key per role, and what each route's `roles` leave out. */
const ROLE_KEYS = { admin: KEYS.admin, agent: KEYS.alice, app: KEYS.shop } as const

let p: Platforms
let t: LoggedGateway
let table: Route[]
/** A local server standing for "something inside": it counts every request that reaches it. */
let inside: Server
let insideHits = 0
let insidePort = 0

beforeAll(async () => {
  p = await startPlatforms()
  registerSecrets('security', [
    ...Object.values(p.secrets),
    ...Object.values(KEYS),
    TG_WEBHOOK_SECRET,
  ])
  inside = createServer((req, res) => {
    insideHits++
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain' }).end('internal data')
  })
  inside.listen(0, '127.0.0.1')
  await once(inside, 'listening')
  insidePort = (inside.address() as AddressInfo).port
  t = await startLoggedGateway(
    `server:
  public_url: https://gw.example
  body_limit: ${BODY_LIMIT}
  rate_limit: { per_second: 100000, burst: 100000 }
${p.channels}  tgw:
    type: telegram
    token: "${p.secrets.telegram}"
    api_root: ${p.telegram.apiRoot}
    mode: webhook
    webhook_secret: ${TG_WEBHOOK_SECRET}
`,
    { log: 'security-gateway' },
  )
  table = routes(t.gw.svc)
})

afterAll(async () => {
  await t?.close()
  await p?.close()
  inside?.closeAllConnections()
  inside?.close()
})

const concrete = (path: string, name = 'sms', type = 'webhook') =>
  path.replace(':id', 'ct_01jabcdefghjkmnpqrstvwxyz0').replace(':name', name).replace(':type', type)

describe('every route is guarded as the routing table says', () => {
  it('public routes are exactly the known ones', () => {
    const open = table.filter((r) => r.auth.kind === 'public').map((r) => `${r.method} ${r.path}`)
    expect(open.sort()).toEqual([...PUBLIC_ROUTES].sort())
  })

  it('key routes: 401 without a key, with an unknown or malformed one; 403 for a role too low', async () => {
    const keyRoutes = table.filter((r) => r.auth.kind === 'key')
    expect(keyRoutes.length).toBeGreaterThan(15)
    const wrong: string[] = []
    for (const r of keyRoutes) {
      const path = concrete(r.path)
      const body = r.method === 'GET' ? undefined : {}
      for (const [label, headers] of [
        ['no key', {}],
        ['unknown key', { authorization: `Bearer ${randomBytes(16).toString('hex')}` }],
        [
          'basic auth',
          { authorization: `Basic ${Buffer.from(`ops:${KEYS.admin}`).toString('base64')}` },
        ],
        ['bare key', { authorization: KEYS.admin }],
      ] as const) {
        const res = await t.call(r.method, path, { key: null, headers, body })
        if (res.status !== 401) wrong.push(`${r.method} ${r.path} ${label}: ${res.status}`)
      }
      const roles = r.auth.kind === 'key' ? r.auth.roles : []
      for (const [role, key] of Object.entries(ROLE_KEYS)) {
        if (roles.includes(role as keyof typeof ROLE_KEYS)) continue
        const res = await t.call(r.method, path, { key, body })
        if (res.status !== 403 || res.body.error?.code !== 'forbidden')
          wrong.push(`${r.method} ${r.path} as ${role}: ${res.status}`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('channel routes: 401 for a missing or wrong signature where they apply, never 2xx', async () => {
    const channelRoutes = table.filter((r) => r.auth.kind === 'channel')
    const names = Object.entries(t.gw.svc.config().channels).map(([n, c]) => [n, c.info.type])
    const bad: string[] = []
    const refused = new Set<string>()
    for (const r of channelRoutes) {
      for (const [name, type] of names) {
        const signatures: Record<string, string>[] = [
          {},
          {
            'x-omnigate-signature': `sha256=${'0'.repeat(64)}`,
            'x-line-signature': 'AAAA',
            'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
            'x-telegram-bot-api-secret-token': 'wrong',
          },
          {
            'webhook-id': 'msg_x',
            'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
            'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}`,
          },
        ]
        for (const headers of signatures) {
          const path = concrete(r.path, name, type)
          const query =
            r.method === 'GET' ? '?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1' : ''
          const body = r.path.endsWith('/subscriptions')
            ? {
                external_id: 'u1',
                user_hash: '0'.repeat(64),
                subscription: {
                  endpoint: 'https://203.0.113.9/x',
                  keys: { p256dh: 'x', auth: 'y' },
                },
              }
            : {
                id: 'x',
                from: { address: '+491701234567' },
                text: 'hi',
                message_id: 'msg_x',
                status: 'read',
              }
          const res = await t.call(r.method, `${path}${query}`, { key: null, headers, body })
          if (res.status < 400)
            bad.push(`${r.method} ${path}: ${res.status} without a valid signature`)
          // A failed GET handshake (WhatsApp Cloud's verify_token) answers 403, as Meta expects.
          if (res.status === 401 || (r.method === 'GET' && res.status === 403))
            refused.add(`${r.method} ${r.path}`)
        }
      }
    }
    expect(bad).toEqual([])
    // Each channel route refused an unsigned request on at least one channel it serves.
    expect([...refused].sort()).toEqual(channelRoutes.map((r) => `${r.method} ${r.path}`).sort())
  })

  it('a signed request gets through (so the 401s above are the signature check)', async () => {
    const raw = JSON.stringify({ id: 'sig-ok-1', from: { address: '+491701230000' }, text: 'hi' })
    const sig = `sha256=${createHmac('sha256', p.secrets.sms).update(raw).digest('hex')}`
    const res = await t.call('POST', '/v1/channels/sms/inbound', {
      key: null,
      raw,
      headers: { 'content-type': 'application/json', 'x-omnigate-signature': sig },
    })
    expect(res.status).toBe(200)
    // … and so does one signed the Standard Webhooks way.
    const raw2 = JSON.stringify({ id: 'sig-ok-2', from: { address: '+491701230000' }, text: 'hi' })
    const ts = String(Math.floor(Date.now() / 1000))
    const v1 = createHmac('sha256', p.secrets.sms).update(`e-2.${ts}.${raw2}`).digest('base64')
    const std = await t.call('POST', '/v1/channels/sms/inbound', {
      key: null,
      raw: raw2,
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'e-2',
        'webhook-timestamp': ts,
        'webhook-signature': `v1,${v1}`,
      },
    })
    expect(std.status).toBe(200)
  })
})

describe('API keys', () => {
  it('are compared in constant time: hashed, timingSafeEqual against every key, no early exit', () => {
    const src = readFileSync(join(ROOT, 'src/gateway/http/auth.ts'), 'utf8')
    expect(src).toMatch(/import\s*\{[^}]*\btimingSafeEqual\b[^}]*\}\s*from\s*'node:crypto'/)
    const start = src.indexOf('function findKey')
    expect(start).toBeGreaterThan(0)
    const fn = src.slice(start)
    expect(fn).toMatch(/createHash\('sha256'\)\.update\(presented\)/)
    const loopStart = fn.indexOf('for (')
    expect(loopStart).toBeGreaterThan(0)
    // The loop's body, by brace matching: it compares with timingSafeEqual and never exits early.
    let depth = 0
    let end = fn.indexOf('{', loopStart)
    for (let i = end; i < fn.length; i++) {
      if (fn[i] === '{') depth++
      if (fn[i] === '}' && --depth === 0) {
        end = i
        break
      }
    }
    const loop = fn.slice(loopStart, end + 1)
    expect(loop).toMatch(/timingSafeEqual\(/)
    expect(loop).not.toMatch(/\breturn\b|\bbreak\b/)
    expect(fn.slice(0, end)).not.toMatch(/presented\s*===|===\s*presented/)
  })

  it('are kept only as sha256: not in the resolved config, check-config, or any data file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnigate-keys-'))
    const plain = `plain-${randomBytes(20).toString('hex')}`
    const hashed = `hashed-${randomBytes(20).toString('hex')}`
    registerSecrets('security', [plain, hashed])
    const config = join(dir, 'gateway.config.yaml')
    writeFileSync(
      config,
      `server:
  listen: 127.0.0.1:0
auth:
  keys:
    - { id: ops, role: admin, key: "\${SECURITY_ADMIN_KEY}" }
    - { id: app, role: app, sha256: "${createHash('sha256').update(hashed).digest('hex')}" }
store:
  sqlite: ${join(dir, 'data/omnigate.db')}
channels:
  sms:
    type: webhook
    url: http://127.0.0.1:9/relay
    secret: some-relay-secret
    address: phone
`,
    )
    const env = { SECURITY_ADMIN_KEY: plain }
    try {
      const resolved = loadConfig(config, { env })
      expect(JSON.stringify(resolved)).not.toContain(plain)
      expect(resolved.auth.keys.map((k) => Object.keys(k).sort())).toEqual([
        ['id', 'name', 'role', 'sha256'],
        ['id', 'name', 'role', 'sha256'],
      ])
      const check = execFileSync(
        process.execPath,
        [join(ROOT, 'bin/omnigate.js'), 'check-config', '--config', config],
        {
          env: { ...process.env, ...env },
          encoding: 'utf8',
        },
      )
      expect(check).not.toContain(plain)

      const d = await startDaemon({
        config,
        logFile: join(logDir(), 'security-keys-daemon.log'),
        env,
      })
      for (const [n, key] of [plain, hashed].entries()) {
        const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
        const sent = await fetch(`${d.url}/v1/messages`, {
          method: 'POST',
          headers: { ...auth, 'idempotency-key': `idem-${n}` },
          body: JSON.stringify({ to: { channel: 'sms', address: '+491701234567' }, text: 'hi' }),
        })
        expect([n, sent.status]).toEqual([n, 202])
        for (const path of ['/v1/channels', '/v1/openapi.json', '/metrics']) {
          const text = await (await fetch(`${d.url}${path}`, { headers: auth })).text()
          expect([path, text.includes(plain) || text.includes(hashed)]).toEqual([path, false])
        }
      }
      expect(await d.stop()).toBe(0)
      // Every byte the daemon wrote: database, WAL, shared memory, blobs, generated keys.
      const files: string[] = []
      const walk = (dirPath: string): void => {
        for (const e of readdirSync(dirPath, { withFileTypes: true })) {
          const f = join(dirPath, e.name)
          if (e.isDirectory()) walk(f)
          else files.push(f)
        }
      }
      walk(join(dir, 'data'))
      expect(files.some((f) => f.endsWith('omnigate.db'))).toBe(true)
      for (const f of files) {
        const bytes = readFileSync(f)
        const found = [plain, hashed].filter((k) => bytes.includes(Buffer.from(k)))
        expect([f, found.length]).toEqual([f, 0])
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('URLs from requests', () => {
  const inside = (host: string) => `http://${host}:${insidePort}/secret`
  const targets = () => [
    inside('127.0.0.1'),
    inside('localhost'),
    inside('[::1]'),
    inside('127.1'),
    inside('2130706433'), // 127.0.0.1 as one number
    inside('0x7f.0.0.1'),
    inside('[::ffff:127.0.0.1]'),
    inside('0.0.0.0'),
    inside('api.localhost'),
    'http://10.1.2.3/x',
    'http://172.16.0.1/x',
    'http://192.168.1.1/x',
    'http://169.254.169.254/latest/meta-data/', // cloud metadata
    'http://[fe80::1]/x',
    'http://[fd00::1]/x',
    'http://100.64.0.1/x', // carrier-grade NAT
  ]

  it('attachment URLs to loopback, private and link-local addresses are refused, nothing fetched', async () => {
    const wrong: string[] = []
    for (const url of targets()) {
      const res = await t.call('POST', '/v1/messages', {
        body: {
          to: { channel: 'sms', address: '+491701234567' },
          text: 'see attached',
          attachments: [{ filename: 'a.txt', content_type: 'text/plain', url }],
        },
      })
      if (res.status !== 422 || res.body.error?.code !== 'url_forbidden')
        wrong.push(`${url}: ${res.status} ${res.body.error?.code}`)
    }
    expect(wrong).toEqual([])
    expect(insideHits).toBe(0)
  })

  it('push subscription endpoints inside are refused too', async () => {
    const externalId = 'user-ssrf'
    for (const endpoint of [
      `https://127.0.0.1:${insidePort}/push`,
      'https://169.254.169.254/x',
      'https://[::1]/x',
      'https://10.0.0.8/x',
    ]) {
      const res = await t.call('POST', '/v1/channels/push/subscriptions', {
        key: null,
        body: {
          external_id: externalId,
          user_hash: createHmac('sha256', p.secrets.push).update(externalId).digest('hex'),
          subscription: { endpoint, keys: pushKeys() },
        },
      })
      expect([endpoint, res.status, res.body.error?.code]).toEqual([endpoint, 422, 'url_forbidden'])
    }
    expect(insideHits).toBe(0)
  })

  it('are fetched when allow_private_urls is on (so the refusals above are the guard)', async () => {
    const open = await startLoggedGateway(
      `security:
  allow_private_urls: true
channels:
  sms:
    type: webhook
    url: http://127.0.0.1:9/relay
    secret: ${p.secrets.sms}
    address: phone
`,
      { log: 'security-private-allowed' },
    )
    try {
      const res = await open.call('POST', '/v1/messages', {
        body: {
          to: { channel: 'sms', address: '+491701234567' },
          text: 'see attached',
          attachments: [
            { filename: 'a.txt', content_type: 'text/plain', url: inside('127.0.0.1') },
          ],
        },
      })
      expect(res.status).toBe(202)
      expect(insideHits).toBe(1)
    } finally {
      await open.close()
      insideHits = 0
    }
  })
})

describe('request bodies', () => {
  const big = () => JSON.stringify({ text: 'x'.repeat(BODY_LIMIT + 1024) })

  it('over body_limit get 413 on every route that takes a body', async () => {
    const withBody = table.filter((r) => r.method !== 'GET')
    const wrong: string[] = []
    for (const r of withBody) {
      const raw = big()
      const res = await t.call(r.method, concrete(r.path), {
        raw,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(raw)),
        },
      })
      if (res.status !== 413 || res.body.error?.code !== 'body_too_large')
        wrong.push(`${r.method} ${r.path}: ${res.status}`)
    }
    expect(wrong).toEqual([])
  })

  it('over body_limit get 413 from the real daemon, with a Content-Length or streamed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnigate-limit-'))
    const config = join(dir, 'gateway.config.yaml')
    writeFileSync(
      config,
      `server:
  listen: 127.0.0.1:0
  body_limit: ${BODY_LIMIT}
auth:
  keys:
    - { id: ops, role: admin, sha256: "${createHash('sha256').update(KEYS.admin).digest('hex')}" }
store:
  sqlite: ${join(dir, 'omnigate.db')}
channels:
  sms:
    type: webhook
    url: http://127.0.0.1:9/relay
    secret: ${p.secrets.sms}
    address: phone
`,
    )
    const d = await startDaemon({ config, logFile: join(logDir(), 'security-limit-daemon.log') })
    try {
      const headers = { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/json' }
      const sized = await fetch(`${d.url}/v1/messages`, { method: 'POST', headers, body: big() })
      expect(sized.status).toBe(413)
      // No Content-Length: the limit must hold while reading the stream.
      const chunk = new TextEncoder().encode('x'.repeat(16 * 1024))
      let sent = 0
      const stream = new ReadableStream<Uint8Array>({
        pull(ctl) {
          if (sent++ < 64) ctl.enqueue(chunk)
          else ctl.close()
        },
      })
      const streamed = await fetch(`${d.url}/v1/messages`, {
        method: 'POST',
        headers,
        body: stream,
        duplex: 'half',
      })
      expect(streamed.status).toBe(413)
      expect((await fetch(`${d.url}/healthz`)).status).toBe(200)
    } finally {
      expect(await d.stop()).toBe(0)
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('logs', () => {
  it('hold no configured secret', () => {
    expect(
      findSecretsInLogs(logDir(), [
        ...Object.values(p.secrets),
        ...Object.values(KEYS),
        TG_WEBHOOK_SECRET,
      ]),
    ).toEqual([])
  })
})
