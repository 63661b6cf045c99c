import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FakePushService, type FakeSubscriptionJson } from '../../../test/fakes/push-service.js'
import {
  SendError,
  type ChannelState,
  type Connector,
  type ConnectorContext,
  type OutboundPayload,
} from '../types.js'
import {
  createWebPushConnector,
  type WebPushConnector,
  type WebPushConnectorOptions,
  type WebPushSettings,
} from './index.js'
import { PAYLOAD_MAX_BYTES } from './payload.js'
import { subscriptionAddress } from './subscription.js'
import { userHash } from './user-hash.js'
import { generateVapidKeys, vapidFile } from './vapid.js'
import { settingsFrom } from '../shared/settings.test-helper.js'
import { webpushSettings } from './settings.js'

let push: FakePushService
beforeAll(async () => {
  push = await FakePushService.start()
})
afterAll(async () => {
  await push.close()
})

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

interface Harness {
  connector: WebPushConnector
  states: ChannelState[]
  dataDir: string
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'omnigate-push-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A fresh key pair as `vapid:` in the config writes it. */
function generateVapidKeysAsConfig(): { public_key: string; private_key: string } {
  const k = generateVapidKeys()
  return { public_key: k.publicKey, private_key: k.privateKey }
}

/** Settings as the config gives them (defaults applied); `extra` may bypass the schema. */
function webpush(extra: Partial<WebPushSettings>): WebPushSettings {
  return { ...settingsFrom(webpushSettings, { type: 'webpush', secret: 'site-secret' }), ...extra }
}

async function setup(
  settings: Partial<WebPushSettings> = {},
  opts: WebPushConnectorOptions & { dataDir?: string; allowPrivateUrls?: boolean } = {},
): Promise<Harness> {
  const dataDir = opts.dataDir ?? tempDir()
  const states: ChannelState[] = []
  const connector = createWebPushConnector(
    {
      name: 'push',
      publicUrl: 'https://support.example.com',
      allowPrivateUrls: opts.allowPrivateUrls ?? true,
    },
    webpush(settings),
    opts,
  )
  const ctx: ConnectorContext = {
    log: pino({ level: 'silent' }),
    dataDir,
    signal: new AbortController().signal,
    inbound: () => Promise.reject(new Error('webpush has no inbound')),
    status: () => Promise.resolve(),
    reachability: () => Promise.resolve(),
    state: (s) => states.push(s),
    kv: { get: async () => null, set: async () => undefined },
  }
  await connector.start(ctx)
  cleanups.push(() => connector.stop())
  return { connector, states, dataDir }
}

function outbound(sub: FakeSubscriptionJson, over: Partial<OutboundPayload> = {}): OutboundPayload {
  return {
    messageId: 'msg_01jabc',
    channel: 'push',
    threadId: 'th_1',
    to: subscriptionAddress(sub),
    contact: { id: 'ct_1', firstName: 'Ana', lastName: null },
    text: 'Your order has shipped.',
    template: null,
    attachments: [],
    email: null,
    createdAt: new Date().toISOString(),
    attempt: 1,
    signal: new AbortController().signal,
    ...over,
  }
}

async function sendError(p: Promise<unknown>): Promise<SendError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(SendError)
  return err as SendError
}

/** The VAPID public key the connector offers subscribers (its `vapidPublicKey` capability). */
function vapidKey(c: Connector): string | null {
  return c.capabilities.vapidPublicKey?.() ?? null
}

/** A subscription made by a page that used this connector's public key. */
function subscribeTo(h: Harness): FakeSubscriptionJson {
  return push.subscribe(vapidKey(h.connector))
}

describe('Web Push connector: delivery', () => {
  it('delivers an encrypted, VAPID-signed notification the browser can read', async () => {
    const h = await setup()
    expect(h.states.at(-1)).toEqual({ state: 'connected' })
    const sub = subscribeTo(h)
    const result = await h.connector.send(outbound(sub))
    const [got] = push.received(sub)
    expect(got?.payload).toEqual({
      title: 'push',
      text: 'Your order has shipped.',
      message_id: 'msg_01jabc',
    })
    expect(got?.vapid).toMatchObject({
      publicKey: vapidKey(h.connector),
      aud: push.origin,
      sub: 'https://support.example.com',
    })
    expect(got?.ttl).toBe(String(7 * 24 * 3600))
    expect(got?.urgency).toBe('normal')
    expect(got?.topic).toMatch(/^[\w-]{32}$/)
    expect(result.platformMessageId).toMatch(/\/message\//)
  })

  it('titles a template message with the template title and opens its url on click', async () => {
    const h = await setup(
      {
        ttl: 3_600_000,
        urgency: 'high',
        vapid: { ...generateVapidKeysAsConfig(), subject: 'mailto:ops@example.com' },
      },
      { templateTitle: (name) => (name === 'refund_update' ? 'Refund update' : null) },
    )
    const sub = subscribeTo(h)
    await h.connector.send(
      outbound(sub, {
        text: 'Refund update\n\nHi Ana, your refund is approved.\n— Example Support',
        template: {
          name: 'refund_update',
          variables: { status: 'approved', url: 'https://shop.example/orders/42' },
        },
      }),
    )
    const [got] = push.received(sub)
    expect(got?.payload).toEqual({
      title: 'Refund update',
      text: 'Hi Ana, your refund is approved.\n— Example Support',
      url: 'https://shop.example/orders/42',
      message_id: 'msg_01jabc',
    })
    expect(got?.ttl).toBe('3600')
    expect(got?.urgency).toBe('high')
    expect(got?.vapid.sub).toBe('mailto:ops@example.com')
  })

  it('sends the largest payload that fits in 4096 bytes and refuses one byte more as text_too_long', async () => {
    const h = await setup()
    const sub = subscribeTo(h)
    const frame = JSON.stringify({ title: 'push', text: '', message_id: 'msg_01jabc' }).length
    await h.connector.send(outbound(sub, { text: 'x'.repeat(PAYLOAD_MAX_BYTES - frame) }))
    expect(push.received(sub)[0]?.bodyBytes).toBe(4096)

    const requests = push.requests
    const err = await sendError(
      h.connector.send(outbound(sub, { text: 'x'.repeat(PAYLOAD_MAX_BYTES - frame + 1) })),
    )
    expect(err).toMatchObject({ kind: 'rejected', code: 'text_too_long' })
    const multibyte = await sendError(h.connector.send(outbound(sub, { text: 'ü'.repeat(2000) }))) // 4000 bytes
    expect(multibyte.code).toBe('text_too_long')
    expect(push.requests).toBe(requests)
    expect(push.refusals).toEqual([])
  })
})

describe('Web Push connector: push service answers', () => {
  it('maps 410 and 404 to an unreachable subscription', async () => {
    const h = await setup()
    const gone = subscribeTo(h)
    push.unsubscribe(gone)
    expect(await sendError(h.connector.send(outbound(gone)))).toMatchObject({
      kind: 'unreachable',
      code: 'subscription_gone',
    })
    const missing = subscribeTo(h)
    push.answer(missing, { status: 404 })
    expect(await sendError(h.connector.send(outbound(missing)))).toMatchObject({
      kind: 'unreachable',
      code: 'subscription_gone',
    })
  })

  it('retries a 429 after its Retry-After, and 5xx', async () => {
    const h = await setup()
    const sub = subscribeTo(h)
    push.answer(
      sub,
      { status: 429, retryAfter: '7' },
      { status: 503, retryAfter: '2' },
      { status: 500 },
    )
    expect(await sendError(h.connector.send(outbound(sub)))).toMatchObject({
      kind: 'retry',
      code: 'push_rate_limited',
      retryAfterMs: 7000,
    })
    expect(await sendError(h.connector.send(outbound(sub)))).toMatchObject({
      kind: 'retry',
      code: 'push_unavailable',
      retryAfterMs: 2000,
    })
    expect(await sendError(h.connector.send(outbound(sub)))).toMatchObject({
      kind: 'retry',
      code: 'push_unavailable',
      retryAfterMs: undefined,
    })
    await h.connector.send(outbound(sub))
    expect(push.received(sub)).toHaveLength(1)
  })

  it('rejects 400, 403 and 413 without retrying', async () => {
    const h = await setup()
    const sub = subscribeTo(h)
    push.answer(sub, { status: 400, body: 'bad push' }, { status: 413 })
    expect(await sendError(h.connector.send(outbound(sub)))).toMatchObject({
      kind: 'rejected',
      code: 'push_rejected',
    })
    expect(await sendError(h.connector.send(outbound(sub)))).toMatchObject({
      kind: 'rejected',
      code: 'text_too_long',
    })
    // A subscription made with another applicationServerKey: the service answers 403.
    const other = push.subscribe(generateVapidKeys().publicKey)
    expect(await sendError(h.connector.send(outbound(other)))).toMatchObject({
      kind: 'rejected',
      code: 'vapid_rejected',
    })
  })

  it('retries when the push service does not answer, as not delivered', async () => {
    const h = await setup()
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer()
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number }
        srv.close(() => resolve(port))
      })
    })
    const sub = push.subscribe()
    const dead = { ...sub, endpoint: `http://127.0.0.1:${closed}/push/x` }
    expect(await sendError(h.connector.send(outbound(dead)))).toMatchObject({
      kind: 'retry',
      code: 'push_network_error',
      possiblyDelivered: false,
    })
  })

  it('refuses endpoints on private addresses unless allow_private_urls, and malformed subscriptions', async () => {
    const h = await setup({}, { allowPrivateUrls: false })
    const sub = subscribeTo(h)
    const https = { ...sub, endpoint: sub.endpoint.replace('http:', 'https:') }
    expect(await sendError(h.connector.send(outbound(https)))).toMatchObject({
      kind: 'rejected',
      code: 'endpoint_forbidden',
    })
    const byName = { ...https, endpoint: https.endpoint.replace('127.0.0.1', 'localhost') }
    expect(await sendError(h.connector.send(outbound(byName)))).toMatchObject({
      kind: 'rejected',
      code: 'endpoint_forbidden',
    })
    expect(await sendError(h.connector.send(outbound(sub)))).toMatchObject({
      kind: 'rejected',
      code: 'subscription_invalid',
    }) // http:
    expect(
      await sendError(
        h.connector.send({ ...outbound(sub), to: '{"endpoint":"https://push.example/x"}' }),
      ),
    ).toMatchObject({
      kind: 'rejected',
      code: 'subscription_invalid',
    })
    expect(push.received(sub)).toEqual([])
  })
})

describe('Web Push connector: VAPID keys', () => {
  it('generates a key pair once into the data folder (0600) and reuses it', async () => {
    const dataDir = tempDir()
    const first = await setup({}, { dataDir })
    const publicKey = vapidKey(first.connector)
    expect(publicKey).toMatch(/^[\w-]{87}$/)
    const file = vapidFile(dataDir, 'push')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ public_key: publicKey })
    await first.connector.stop()

    const second = await setup({}, { dataDir })
    expect(vapidKey(second.connector)).toBe(publicKey)
    const sub = subscribeTo(second) // the page subscribed with the key of the first run
    await second.connector.send(outbound(sub))
    expect(push.received(sub)[0]?.vapid.publicKey).toBe(publicKey)
  })

  it('uses configured keys (served before start) and writes no file', async () => {
    const keys = generateVapidKeys()
    const dataDir = tempDir()
    const h = await setup(
      {
        vapid: {
          public_key: keys.publicKey,
          private_key: keys.privateKey,
          subject: 'mailto:ops@example.com',
        },
      },
      { dataDir },
    )
    expect(vapidKey(h.connector)).toBe(keys.publicKey)
    expect(() => statSync(vapidFile(dataDir, 'push'))).toThrow()
    const sub = subscribeTo(h)
    await h.connector.send(outbound(sub))
    expect(push.received(sub)[0]?.vapid.publicKey).toBe(keys.publicKey)
  })

  // Half a pair never reaches the connector: the config schema requires both keys and subject.
  it('reports keys that do not match and a damaged key file as errors naming the fix', async () => {
    const a = generateVapidKeys()
    const b = generateVapidKeys()
    const mismatched = await setup({
      vapid: {
        public_key: a.publicKey,
        private_key: b.privateKey,
        subject: 'mailto:ops@example.com',
      },
    })
    expect(mismatched.states.at(-1)).toEqual({
      state: 'error',
      detail: expect.stringContaining('vapid.public_key'),
    })
    expect(vapidKey(mismatched.connector)).toBeNull()
    const sub = push.subscribe()
    expect(await sendError(mismatched.connector.send(outbound(sub)))).toMatchObject({
      kind: 'retry',
      code: 'channel_not_ready',
    })

    const dataDir = tempDir()
    const secretish = 'AAAAprivate-key-material'
    writeFileSync(vapidFile(dataDir, 'push'), `{"public_key": "x", "private_key": "${secretish}"`)
    const damaged = await setup({}, { dataDir })
    const detail = damaged.states.at(-1)?.detail ?? ''
    expect(damaged.states.at(-1)?.state).toBe('error')
    expect(detail).toContain('restore it from a backup')
    expect(detail).not.toContain(secretish)
    expect(readFileSync(vapidFile(dataDir, 'push'), 'utf8')).toContain(secretish) // not replaced
  })

  it('checks user_hash with the channel secret', async () => {
    const h = await setup({ secret: 'site-secret' })
    expect(h.connector.verifyUserHash('user-42', userHash('site-secret', 'user-42'))).toBe(true)
    expect(h.connector.verifyUserHash('user-43', userHash('site-secret', 'user-42'))).toBe(false)
    expect(h.connector.verifyUserHash('user-42', userHash('other-secret', 'user-42'))).toBe(false)
    const open = await setup({ secret: '' })
    expect(open.states.at(-1)).toMatchObject({
      state: 'connected',
      detail: expect.stringContaining('secret'),
    })
    expect(open.connector.verifyUserHash('user-42', userHash('', 'user-42'))).toBe(false)
  })
})
