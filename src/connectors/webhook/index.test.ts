import { once } from 'node:events'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  faultyAnswers,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../../test/fakes/webhook-receiver.js'
import { CHANNEL_LIMITS } from '../limits.js'
import {
  SendError,
  type ChannelState,
  type Connector,
  type ConnectorContext,
  type OutboundPayload,
} from '../types.js'
import { createWebhookConnector, type WebhookSettings } from './index.js'
import { verify } from './signature.js'
import { settingsFrom } from '../shared/settings.test-helper.js'
import { webhookSettings } from './settings.js'

const SECRET = 'relay-s3cret-value'
const deps = { name: 'sms', publicUrl: 'http://127.0.0.1:8080', allowPrivateUrls: false }

function harness() {
  const lines: string[] = []
  const states: ChannelState[] = []
  const ctx: ConnectorContext = {
    log: pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }),
    dataDir: '/nonexistent',
    inbound: () => Promise.reject(new Error('not used by this connector')),
    status: () => Promise.resolve(),
    reachability: () => Promise.resolve(),
    state: (s) => void states.push(s),
    kv: { get: async () => null, set: async () => {} },
    signal: new AbortController().signal,
  }
  return { ctx, lines, states }
}

let seq = 0
function payload(over: Partial<OutboundPayload> = {}): OutboundPayload {
  seq++
  return {
    messageId: `msg_${seq}`,
    channel: 'sms',
    threadId: 'thr_1',
    to: '+4915112345678',
    contact: { id: 'con_1', firstName: 'Ana', lastName: null },
    text: 'Hi Ana, your refund is on its way.',
    template: null,
    attachments: [],
    email: null,
    createdAt: '2025-01-02T03:04:05.000Z',
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

/** Sends a fresh payload and returns the SendError it must fail with. */
function failedSend(over: Partial<OutboundPayload> = {}): Promise<SendError> {
  return sendError(connector.send(payload(over)))
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const { port } = srv.address() as AddressInfo
  await new Promise((resolve) => srv.close(resolve))
  return port
}

let relay: WebhookReceiver
let h: ReturnType<typeof harness>
let connector: Connector

/** Settings as the config gives them (defaults applied); `extra` may bypass the schema. */
function webhook(extra: Partial<WebhookSettings> = {}): WebhookSettings {
  const parsed = settingsFrom(webhookSettings, { type: 'webhook', url: relay.url, secret: SECRET })
  return { ...parsed, ...extra }
}

async function startWith(settings: Partial<WebhookSettings> = {}) {
  connector = createWebhookConnector(deps, webhook(settings))
  await connector.start(h.ctx)
}

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: SECRET })
  h = harness()
  await startWith()
})

afterEach(async () => {
  await connector.stop()
  await relay.close()
})

describe('webhook connector', () => {
  it('is connected after start without contacting the relay', () => {
    expect(connector.type).toBe('webhook')
    expect(connector.limits).toEqual(CHANNEL_LIMITS.webhook)
    expect(h.states).toEqual([{ state: 'connected' }])
    expect(relay.total()).toBe(0)
  })

  it('posts the documented body, signed, keyed by the message id', async () => {
    const out = payload({
      template: { name: 'refund_update', variables: { first_name: 'Ana', status: 'sent' } },
      attachments: [
        {
          id: 'att_1',
          filename: 'receipt.pdf',
          contentType: 'application/pdf',
          size: 1234,
          sha256: 'ab'.repeat(32),
          url: 'http://127.0.0.1:8080/v1/attachments/att_1?exp=1&sig=x',
          read: () => Promise.resolve(Buffer.alloc(0)),
        },
      ],
    })
    const result = await connector.send(out)

    expect(result).toEqual({ platformMessageId: `pm_${out.messageId}` })
    const [got] = relay.received
    expect(got?.method).toBe('POST')
    expect(got?.path).toBe('/outbound')
    expect(got?.signatureValid).toBe(true)
    expect(verify(SECRET, got?.rawBody ?? '', got?.headers['x-omnigate-signature'] as string)).toBe(
      true,
    )
    expect(got?.idempotencyKey).toBe(out.messageId)
    expect(got?.headers['content-type']).toBe('application/json')
    expect(got?.headers['user-agent']).toBe('omnigate')
    expect(got?.json).toEqual({
      id: out.messageId,
      channel: 'sms',
      thread_id: 'thr_1',
      to: { address: '+4915112345678', contact_id: 'con_1', first_name: 'Ana', last_name: null },
      text: 'Hi Ana, your refund is on its way.',
      template: { name: 'refund_update', variables: { first_name: 'Ana', status: 'sent' } },
      attachments: [
        {
          filename: 'receipt.pdf',
          content_type: 'application/pdf',
          size: 1234,
          url: 'http://127.0.0.1:8080/v1/attachments/att_1?exp=1&sig=x',
        },
      ],
      email: null,
      created_at: '2025-01-02T03:04:05.000Z',
    })
  })

  it('carries the email block in snake_case', async () => {
    const email = {
      from: 'support@example.com',
      subject: 'Your refund',
      bcc: ['audit@example.com'],
      inReplyTo: '<a@example.com>',
      references: ['<a@example.com>'],
    }
    await connector.send(payload({ email }))
    expect((relay.received[0]?.json as { email: unknown }).email).toEqual({
      from: 'support@example.com',
      subject: 'Your refund',
      bcc: ['audit@example.com'],
      in_reply_to: '<a@example.com>',
      references: ['<a@example.com>'],
    })
  })

  it('counts a 2xx without an id, or with a non-JSON body, as sent', async () => {
    relay.enqueue({ kind: 'ok', status: 204, platformMessageId: null }, { kind: 'ok', body: 'OK' })
    expect(await connector.send(payload())).toEqual({})
    expect(await connector.send(payload())).toEqual({})
  })

  it('retries a 429 after its Retry-After, in seconds or as a date', async () => {
    relay.enqueue({ kind: 'status', status: 429, retryAfter: 7 })
    const err = await failedSend()
    expect(err).toMatchObject({ kind: 'retry', code: 'http_429', retryAfterMs: 7000 })

    const inAMinute = new Date(Date.now() + 60_000).toUTCString()
    relay.enqueue({ kind: 'status', status: 429, retryAfter: inAMinute })
    const dated = await failedSend()
    expect(dated.retryAfterMs).toBeGreaterThan(50_000)
    expect(dated.retryAfterMs).toBeLessThanOrEqual(60_000)
  })

  it('retries a 5xx, not as a possible duplicate', async () => {
    relay.enqueue(
      { kind: 'status', status: 500, body: 'boom' },
      { kind: 'status', status: 503, retryAfter: 2 },
    )
    expect(await failedSend()).toMatchObject({
      kind: 'retry',
      code: 'http_500',
      retryAfterMs: undefined,
      possiblyDelivered: false,
    })
    expect(await failedSend()).toMatchObject({ code: 'http_503', retryAfterMs: 2000 })
  })

  it('rejects other 4xx (404 and 410 too) with an excerpt of the answer', async () => {
    const reason = `unknown destination ${'x'.repeat(400)}`
    relay.enqueue(
      { kind: 'status', status: 400, body: reason },
      { kind: 'status', status: 404 },
      { kind: 'status', status: 410 },
    )
    const err = await failedSend()
    expect(err).toMatchObject({ kind: 'rejected', code: 'http_400' })
    expect(err.message).toContain('unknown destination')
    expect(err.message.length).toBeLessThan(300)
    expect(await failedSend()).toMatchObject({ kind: 'rejected', code: 'http_404' })
    expect(await failedSend()).toMatchObject({ kind: 'rejected', code: 'http_410' })
  })

  it('treats 401 as a channel error that holds messages, cleared by the next success', async () => {
    relay.enqueue({ kind: 'status', status: 401 })
    expect(await failedSend()).toMatchObject({ kind: 'retry', code: 'http_401' })
    expect(h.states.at(-1)?.state).toBe('error')
    await connector.send(payload())
    expect(h.states.at(-1)).toEqual({ state: 'connected' })
  })

  it('retries a reset after the request went out as possibly delivered', async () => {
    relay.enqueue({ kind: 'reset' })
    const err = await failedSend()
    expect(err).toMatchObject({ kind: 'retry', code: 'network', possiblyDelivered: true })
    expect(relay.total()).toBe(1)
  })

  it('retries a refused connection as not delivered', async () => {
    await connector.stop()
    await startWith({ url: `http://127.0.0.1:${await freePort()}/outbound` })
    const err = await failedSend()
    expect(err).toMatchObject({ kind: 'retry', code: 'network', possiblyDelivered: false })
  })

  it('retries a relay that answers too late as possibly delivered', async () => {
    await connector.stop()
    await startWith({ timeout_ms: 200 })
    relay.enqueue({ kind: 'slow', delayMs: 3000 })
    const err = await failedSend()
    expect(err).toMatchObject({ kind: 'retry', code: 'network', possiblyDelivered: true })
    expect(relay.total()).toBe(1)
  })

  it('honours the caller signal: before, nothing goes out; during, it may have', async () => {
    const before = new AbortController()
    before.abort()
    expect(await sendError(connector.send(payload({ signal: before.signal })))).toMatchObject({
      kind: 'retry',
      code: 'aborted',
      possiblyDelivered: false,
    })
    expect(relay.total()).toBe(0)

    relay.enqueue({ kind: 'slow', delayMs: 3000 })
    const during = new AbortController()
    const pending = connector.send(payload({ signal: during.signal }))
    await relay.waitFor((r) => r.total() === 1)
    during.abort()
    expect(await sendError(pending)).toMatchObject({ code: 'aborted', possiblyDelivered: true })
  })

  it('never writes a send aborted while it waits for a free connection', async () => {
    // Fill all 64 pool connections with answers that do not come, so the next send queues.
    relay.setAnswer(() => ({ kind: 'slow', delayMs: 10_000 }))
    const busy = new AbortController()
    const filling = Array.from({ length: 64 }, () =>
      sendError(connector.send(payload({ signal: busy.signal }))),
    )
    await relay.waitFor((r) => r.total() === 64)
    const queued = payload()
    const waiting = new AbortController()
    const pending = connector.send({ ...queued, signal: waiting.signal })
    waiting.abort()
    expect(await sendError(pending)).toMatchObject({ code: 'aborted', possiblyDelivered: false })

    busy.abort()
    for (const err of await Promise.all(filling)) expect(err.possiblyDelivered).toBe(true)
    relay.setAnswer(() => ({ kind: 'ok' }))
    const after = payload()
    await connector.send(after) // FIFO: the queued send would have gone out before this one
    expect(relay.countByKey.has(after.messageId)).toBe(true)
    expect(relay.countByKey.has(queued.messageId)).toBe(false)
  })

  it('sends a retry with the same Idempotency-Key, so the relay can spot it', async () => {
    const out = payload()
    relay.enqueue({ kind: 'reset' })
    await sendError(connector.send(out))
    await connector.send({ ...out, attempt: 2 })
    expect(relay.countByKey.get(out.messageId)).toBe(2)
    expect(relay.acceptedByKey.get(out.messageId)).toBe(1)
    expect(relay.duplicates()).toEqual([])
  })

  it('delivers many concurrent sends over the pool, each once', async () => {
    const outs = Array.from({ length: 200 }, () => payload())
    const results = await Promise.all(outs.map((o) => connector.send(o)))
    expect(results.map((r) => r.platformMessageId)).toEqual(outs.map((o) => `pm_${o.messageId}`))
    expect(relay.total()).toBe(200)
    expect(relay.badSignatures()).toBe(0)
  })

  it('gets every message through a faulty relay by retrying, each accepted once', async () => {
    relay.setAnswer(faultyAnswers({ rate: 0.5, seed: 7, kinds: ['429', '5xx', 'reset'] }))
    const outs = Array.from({ length: 40 }, () => payload())
    let retries = 0
    for (const out of outs) {
      for (let attempt = 1; ; attempt++) {
        const ok = await connector.send({ ...out, attempt }).then(
          () => true,
          (e: SendError) => (e.kind === 'retry' ? false : Promise.reject(e)),
        )
        if (ok) break
        retries++
      }
    }
    expect(retries).toBeGreaterThan(0)
    expect(outs.every((o) => relay.acceptedByKey.get(o.messageId) === 1)).toBe(true)
    expect(relay.duplicates()).toEqual([])
  })

  it('refuses to send when not started or after stop', async () => {
    await connector.stop()
    expect(await failedSend()).toMatchObject({ kind: 'retry', code: 'not_started' })
    const fresh = createWebhookConnector(deps, webhook())
    expect(await sendError(fresh.send(payload()))).toMatchObject({ code: 'not_started' })
  })

  it.each([
    ['a URL that is not http(s)', { url: 'ftp://relay.example/x', secret: SECRET }],
    ['an empty secret', { url: 'http://127.0.0.1:9/outbound', secret: '' }],
  ])('fails start loudly on %s', async (_what, settings) => {
    const bad = createWebhookConnector(deps, webhook(settings))
    const { ctx, states } = harness()
    await expect(bad.start(ctx)).rejects.toThrow()
    expect(states.at(-1)?.state).toBe('error')
  })

  it('never puts the secret in logs or errors', async () => {
    relay.enqueue(
      { kind: 'status', status: 400, body: 'bad' },
      { kind: 'status', status: 401 },
      { kind: 'status', status: 503 },
      { kind: 'reset' },
    )
    const errors: string[] = []
    for (let i = 0; i < 5; i++) {
      await connector
        .send(payload())
        .catch((e: Error) => errors.push(`${e.message} ${String(e.cause)}`))
    }
    expect(errors).toHaveLength(4)
    expect(h.lines.length).toBeGreaterThan(0)
    expect([...h.lines, ...errors, JSON.stringify(h.states)].join('\n')).not.toContain(SECRET)
  })
})
