import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  lineEvents,
  lineUserId,
  lineWebhookRequest,
  startLineFake,
  type LineFake,
} from '../../../test/fakes/line-api.js'
import {
  outboundPayload,
  recordingContext,
  testAttachment,
  waitFor,
  type RecordingContext,
} from '../../../test/fakes/telegram-api.js'
import { SendError, type Connector } from '../types.js'
import { createLineConnector } from './index.js'
import { lineRetryKey } from './retry-key.js'
import { settingsFrom } from '../shared/settings.test-helper.js'
import { lineSettings, resolveLineSettings } from './settings.js'

const DEPS = { name: 'line', publicUrl: 'https://gw.example', allowPrivateUrls: false }
const SECRET = 'line-channel-secret'
const USER = lineUserId(1)

let fake: LineFake
let line: Connector
let ctx: RecordingContext

beforeEach(async () => {
  fake = await startLineFake()
  line = createLineConnector(
    DEPS,
    settingsFrom(lineSettings, {
      type: 'line',
      channel_access_token: fake.channelAccessToken,
      channel_secret: SECRET,
      api_base_url: fake.baseUrl,
    }),
  )
  ctx = recordingContext()
  await line.start(ctx)
})

afterEach(async () => {
  await line.stop()
  await fake.close()
})

async function sendError(p: Promise<unknown>): Promise<SendError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(SendError)
  return err as SendError
}

describe('line retry key', () => {
  it('is a version-5 UUID, the same for the same message id and different for another', () => {
    const key = lineRetryKey('msg_01HZX')
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(lineRetryKey('msg_01HZX')).toBe(key)
    expect(lineRetryKey('msg_01HZY')).not.toBe(key)
  })
})

describe('line send', () => {
  it('pushes text with the retry key of our message id and returns LINE message id', async () => {
    const res = await line.send(outboundPayload({ to: USER, text: 'Hello', messageId: 'msg_A' }))
    const [push] = fake.pushes
    expect(push).toMatchObject({
      to: USER,
      retryKey: lineRetryKey('msg_A'),
      messages: [{ type: 'text', text: 'Hello' }],
    })
    expect(res.platformMessageId).toMatch(/^\d+$/)
  })

  it('sends images by their signed https link, text first, in one request', async () => {
    const a = testAttachment(
      'a.jpg',
      'image/jpeg',
      Buffer.from('a'),
      'https://gw.example/v1/attachments/at_a?sig=1',
    )
    const b = testAttachment(
      'b.mp4',
      'video/mp4',
      Buffer.from('b'),
      'https://gw.example/v1/attachments/at_b?sig=2',
    )
    await line.send(outboundPayload({ to: USER, text: 'pics', attachments: [a, b] }))
    expect(fake.pushes).toHaveLength(1)
    expect(fake.pushes[0]?.messages).toEqual([
      { type: 'text', text: 'pics' },
      { type: 'image', originalContentUrl: a.url, previewImageUrl: a.url },
      { type: 'video', originalContentUrl: b.url, previewImageUrl: b.url },
    ])
  })

  it('delivers once when the answer to an accepted push is lost: the retry gets 409 = sent', async () => {
    fake.fail('push', { kind: 'accept-then-drop' })
    const out = outboundPayload({ to: USER, text: 'once', messageId: 'msg_B' })
    const first = await sendError(line.send(out))
    expect(first).toMatchObject({ kind: 'retry', possiblyDelivered: true })
    const second = await line.send({ ...out, attempt: 2 })
    expect(fake.pushes.map((p) => p.retryKey)).toEqual([
      lineRetryKey('msg_B'),
      lineRetryKey('msg_B'),
    ])
    expect(fake.pushes.map((p) => p.outcome)).toEqual(['accepted', 'duplicate'])
    expect(fake.delivered()).toHaveLength(1)
    expect(second.platformMessageId).toMatch(/^\d+$/)
  })

  it('maps 429 to retry, but a used-up monthly quota to rejected', async () => {
    fake.fail('push', {
      kind: 'error',
      status: 429,
      message: 'The API rate limit has been exceeded. Try again later.',
    })
    expect(await sendError(line.send(outboundPayload({ to: USER, text: 'x' })))).toMatchObject({
      kind: 'retry',
      code: 'rate_limited',
    })
    fake.fail('push', {
      kind: 'error',
      status: 429,
      message: 'You have reached your monthly limit.',
    })
    expect(await sendError(line.send(outboundPayload({ to: USER, text: 'x' })))).toMatchObject({
      kind: 'rejected',
      code: 'quota_exceeded',
    })
  })

  it('honours Retry-After as seconds or as an HTTP date', async () => {
    const rateLimited = (retryAfter: string) =>
      fake.fail('push', {
        kind: 'error',
        status: 429,
        message: 'The API rate limit has been exceeded. Try again later.',
        headers: { 'retry-after': retryAfter },
      })
    rateLimited('3')
    const seconds = await sendError(line.send(outboundPayload({ to: USER, text: 'x' })))
    expect(seconds.retryAfterMs).toBe(3000)
    rateLimited(new Date(Date.now() + 60_000).toUTCString())
    const dated = await sendError(line.send(outboundPayload({ to: USER, text: 'x' })))
    expect(dated.retryAfterMs).toBeGreaterThan(50_000)
    expect(dated.retryAfterMs).toBeLessThanOrEqual(60_000)
  })

  it('maps 400 to rejected and 5xx / dropped connections to retry', async () => {
    expect(
      await sendError(line.send(outboundPayload({ to: 'not-a-user', text: 'x' }))),
    ).toMatchObject({
      kind: 'rejected',
      code: 'bad_request',
    })
    fake.fail('push', { kind: 'error', status: 500, message: 'Internal error' })
    expect(await sendError(line.send(outboundPayload({ to: USER, text: 'x' })))).toMatchObject({
      kind: 'retry',
    })
    fake.fail('push', { kind: 'drop' })
    expect(await sendError(line.send(outboundPayload({ to: USER, text: 'x' })))).toMatchObject({
      kind: 'retry',
      code: 'network',
    })
  })

  it('gives up at the send deadline as a possibly delivered retry', async () => {
    fake.fail('push', { kind: 'slow', ms: 2000 })
    const err = await sendError(
      line.send(outboundPayload({ to: USER, text: 'x', signal: AbortSignal.timeout(100) })),
    )
    expect(err).toMatchObject({ kind: 'retry', code: 'timeout', possiblyDelivered: true })
  })

  it('applies the channel timeout (timeout_ms) to each push', async () => {
    const quick = createLineConnector(
      DEPS,
      settingsFrom(
        lineSettings,
        {
          type: 'line',
          channel_access_token: fake.channelAccessToken,
          channel_secret: SECRET,
          api_base_url: fake.baseUrl,
        },
        100,
      ),
    )
    fake.fail('push', { kind: 'slow', ms: 2000 })
    const err = await sendError(quick.send(outboundPayload({ to: USER, text: 'x' })))
    expect(err).toMatchObject({ kind: 'retry', code: 'timeout' })
  })

  it('refuses a file type LINE cannot carry without calling LINE', async () => {
    const pdf = testAttachment('a.pdf', 'application/pdf', Buffer.from('%PDF'))
    expect(
      await sendError(line.send(outboundPayload({ to: USER, attachments: [pdf] }))),
    ).toMatchObject({
      kind: 'rejected',
      code: 'attachment_rejected',
    })
    expect(fake.pushes).toHaveLength(0)
  })

  it('maps a rejected token to rejected/auth and a channel error', async () => {
    const other = recordingContext()
    const bad = createLineConnector(
      DEPS,
      settingsFrom(lineSettings, {
        type: 'line',
        channel_access_token: 'revoked',
        channel_secret: SECRET,
        api_base_url: fake.baseUrl,
      }),
    )
    await bad.start(other)
    expect(other.lastState()?.state).toBe('error')
    expect(await sendError(bad.send(outboundPayload({ to: USER, text: 'x' })))).toMatchObject({
      kind: 'rejected',
      code: 'auth',
    })
    await bad.stop()
  })
})

describe('line start', () => {
  it('is connected once getBotInfo accepts the token', () => {
    expect(ctx.lastState()).toEqual({ state: 'connected' })
  })

  it('checks again on its token-check loop while LINE is unreachable, then connects', async () => {
    fake.fail('info', { kind: 'error', status: 503, message: 'down' }, 2)
    const late = createLineConnector(
      DEPS,
      settingsFrom(lineSettings, {
        type: 'line',
        channel_access_token: fake.channelAccessToken,
        channel_secret: SECRET,
        api_base_url: fake.baseUrl,
      }),
    )
    const c = recordingContext()
    await late.start(c)
    expect(c.lastState()?.state).not.toBe('connected')
    await waitFor(() => c.lastState()?.state === 'connected', 10_000)
    // Unreachable is the channel's state, not an error of the loop; it ended once answered.
    await waitFor(() => c.loopCalls.at(-1) === 'unregister token-check')
    expect(c.loopCalls[0]).toBe('register token-check')
    expect(c.loopCalls.filter((x) => x.startsWith('error'))).toEqual([])
    await late.stop()
  })
})

describe('line webhook', () => {
  it('answers 401 to a missing or wrong signature and stores nothing', async () => {
    const events = [lineEvents.text(USER, '1001', 'hi')]
    const wrong = lineWebhookRequest('another-secret', events)
    expect((await line.handleHook!(wrong)).status).toBe(401)
    const unsigned = lineWebhookRequest(SECRET, events, { signature: '' })
    expect((await line.handleHook!(unsigned)).status).toBe(401)
    expect(ctx.inbounds).toHaveLength(0)
  })

  it('turns a text event into an inbound message with the display name', async () => {
    fake.setProfile(USER, 'Ana Lima')
    const res = await line.handleHook!(
      lineWebhookRequest(SECRET, [lineEvents.text(USER, '1001', 'hi')]),
    )
    expect(res.status).toBe(200)
    expect(ctx.inbounds).toEqual([
      {
        platformMessageId: '1001',
        from: { address: USER, displayName: 'Ana Lima' },
        text: 'hi',
        attachments: [],
        sentAt: '2023-11-14T22:13:20.000Z',
      },
    ])
  })

  it('downloads image and file content with their type and name', async () => {
    const png = Buffer.from('png-bytes')
    fake.addContent('2001', png, 'image/png')
    fake.addContent('2002', Buffer.from('doc'), 'application/pdf')
    const events = [lineEvents.image(USER, '2001'), lineEvents.file(USER, '2002', 'terms.pdf')]
    expect((await line.handleHook!(lineWebhookRequest(SECRET, events))).status).toBe(200)
    expect(ctx.inbounds.map((m) => m.attachments[0]?.contentType)).toEqual([
      'image/png',
      'application/pdf',
    ])
    expect(ctx.inbounds[0]?.attachments[0]?.data.equals(png)).toBe(true)
    expect(ctx.inbounds[1]?.attachments[0]?.filename).toBe('terms.pdf')
  })

  it('reports follow as reachable and unfollow (blocked) as unreachable', async () => {
    const events = [lineEvents.follow(USER), lineEvents.unfollow(USER)]
    expect((await line.handleHook!(lineWebhookRequest(SECRET, events))).status).toBe(200)
    expect(ctx.reach).toEqual([
      { address: USER, reachable: true },
      { address: USER, reachable: false },
    ])
  })

  it('answers 503 when storing fails (store busy or full), so LINE can redeliver', async () => {
    ctx.failInbound(1)
    const res = await line.handleHook!(
      lineWebhookRequest(SECRET, [lineEvents.text(USER, '1002', 'x')]),
    )
    expect(res.status).toBe(503)
  })
})

describe('line settings', () => {
  it('downloads content from api-data.line.me with the default api_base_url, else through it', () => {
    const base = { type: 'line', channel_access_token: 't', channel_secret: 's' } as const
    expect(resolveLineSettings(settingsFrom(lineSettings, base))).toMatchObject({
      apiBaseUrl: 'https://api.line.me',
      dataBaseUrl: 'https://api-data.line.me',
      timeoutMs: 30_000,
    })
    const proxied = settingsFrom(lineSettings, { ...base, api_base_url: 'http://127.0.0.1:9/' })
    expect(resolveLineSettings(proxied)).toMatchObject({
      apiBaseUrl: 'http://127.0.0.1:9',
      dataBaseUrl: 'http://127.0.0.1:9',
    })
  })
})
