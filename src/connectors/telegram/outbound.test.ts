import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  outboundPayload,
  recordingContext,
  startTelegramFake,
  testAttachment,
  type TelegramFake,
} from '../../../test/fakes/telegram-api.js'
import { SendError, type Connector } from '../types.js'
import { createTelegramConnector } from './index.js'
import { settingsFrom } from '../shared/settings.test-helper.js'
import { telegramSettings } from './settings.js'

const DEPS = { name: 'tg', publicUrl: 'https://gw.example', allowPrivateUrls: false }
const JPEG = Buffer.from('ffd8ffe0-fake-jpeg-bytes')
const PDF = Buffer.from('%PDF-1.7 fake')

let fake: TelegramFake
let tg: Connector

beforeEach(async () => {
  fake = await startTelegramFake()
  // webhook mode: start() registers once and no poll loop competes for the fake's attention
  tg = createTelegramConnector(
    DEPS,
    settingsFrom(telegramSettings, {
      type: 'telegram',
      token: fake.token,
      mode: 'webhook',
      api_root: fake.apiRoot,
    }),
  )
  await tg.start(recordingContext())
})

afterEach(async () => {
  await tg.stop()
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

describe('telegram send', () => {
  it('sends text with sendMessage and returns <chat_id>:<message_id>', async () => {
    const res = await tg.send(outboundPayload({ to: '4242', text: 'Hello Ana' }))
    const [call] = fake.callsTo('sendMessage')
    expect(call?.params).toMatchObject({ chat_id: '4242', text: 'Hello Ana' })
    expect(res.platformMessageId).toMatch(/^4242:\d+$/)
  })

  it('uploads one image with sendPhoto, the text as its caption', async () => {
    const att = testAttachment('cat.jpg', 'image/jpeg', JPEG)
    await tg.send(outboundPayload({ to: '4242', text: 'look', attachments: [att] }))
    const [call] = fake.callsTo('sendPhoto')
    expect(call?.params.caption).toBe('look')
    expect(call?.files).toHaveLength(1)
    expect(call?.files[0]?.data.equals(JPEG)).toBe(true)
  })

  it('uploads a PDF with sendDocument, keeping its file name', async () => {
    await tg.send(
      outboundPayload({
        to: '4242',
        attachments: [testAttachment('invoice.pdf', 'application/pdf', PDF)],
      }),
    )
    const [call] = fake.callsTo('sendDocument')
    expect(call?.files[0]).toMatchObject({ field: 'document', filename: 'invoice.pdf' })
    expect(call?.files[0]?.data.equals(PDF)).toBe(true)
    expect(call?.params.caption).toBeUndefined()
  })

  it('sends several images as one media group, caption on the first only', async () => {
    const a = testAttachment('a.jpg', 'image/jpeg', JPEG)
    const b = testAttachment('b.png', 'image/png', Buffer.from('png-bytes'))
    await tg.send(outboundPayload({ to: '4242', text: 'two', attachments: [a, b] }))
    expect(fake.callsTo('sendPhoto')).toHaveLength(0)
    const [call] = fake.callsTo('sendMediaGroup')
    const media = call?.params.media as Array<{ type: string; caption?: string }>
    expect(media.map((m) => m.type)).toEqual(['photo', 'photo'])
    expect(media.map((m) => m.caption)).toEqual(['two', undefined])
    expect(call?.files.map((f) => f.data.toString())).toEqual([JPEG.toString(), 'png-bytes'])
  })

  it('sends a mix of image and PDF as one album of documents', async () => {
    const a = testAttachment('a.jpg', 'image/jpeg', JPEG)
    const b = testAttachment('b.pdf', 'application/pdf', PDF)
    await tg.send(outboundPayload({ to: '4242', attachments: [a, b] }))
    const media = fake.callsTo('sendMediaGroup')[0]?.params.media as Array<{ type: string }>
    expect(media.map((m) => m.type)).toEqual(['document', 'document'])
  })

  it('maps 429 to retry with retry_after in milliseconds', async () => {
    fake.fail('sendMessage', {
      kind: 'error',
      code: 429,
      description: 'Too Many Requests: retry after 7',
      retryAfter: 7,
    })
    const err = await sendError(tg.send(outboundPayload({ to: '4242', text: 'x' })))
    expect(err).toMatchObject({ kind: 'retry', code: 'rate_limited', retryAfterMs: 7000 })
  })

  it('maps a user who blocked the bot to unreachable', async () => {
    fake.block(4242)
    const err = await sendError(tg.send(outboundPayload({ to: '4242', text: 'x' })))
    expect(err).toMatchObject({ kind: 'unreachable', code: 'blocked' })
  })

  it('maps 400 "chat not found" to unreachable and other 400s to rejected', async () => {
    fake.fail('sendMessage', {
      kind: 'error',
      code: 400,
      description: 'Bad Request: chat not found',
    })
    expect(await sendError(tg.send(outboundPayload({ to: '1', text: 'x' })))).toMatchObject({
      kind: 'unreachable',
    })
    fake.fail('sendMessage', {
      kind: 'error',
      code: 400,
      description: "Bad Request: can't parse entities",
    })
    expect(await sendError(tg.send(outboundPayload({ to: '1', text: 'x' })))).toMatchObject({
      kind: 'rejected',
      code: 'bad_request',
    })
  })

  it('retries 5xx and network failures; only a lost answer is possibly delivered', async () => {
    fake.fail('sendMessage', { kind: 'error', code: 502, description: 'Bad Gateway' })
    expect(await sendError(tg.send(outboundPayload({ to: '1', text: 'x' })))).toMatchObject({
      kind: 'retry',
      possiblyDelivered: false,
    })
    fake.fail('sendMessage', { kind: 'http', status: 502, body: '<html>bad gateway</html>' })
    expect(await sendError(tg.send(outboundPayload({ to: '1', text: 'x' })))).toMatchObject({
      kind: 'retry',
    })
    fake.fail('sendMessage', { kind: 'drop' })
    expect(await sendError(tg.send(outboundPayload({ to: '1', text: 'x' })))).toMatchObject({
      kind: 'retry',
      possiblyDelivered: true,
    })
  })

  it('gives up when the send deadline passes, as a possibly delivered retry', async () => {
    fake.fail('sendMessage', { kind: 'slow', ms: 2000 })
    const signal = AbortSignal.timeout(100)
    const err = await sendError(tg.send(outboundPayload({ to: '1', text: 'x', signal })))
    expect(err).toMatchObject({ kind: 'retry', possiblyDelivered: true })
  })

  it('applies the channel timeout (timeout_ms) to each call', async () => {
    const quick = createTelegramConnector(
      DEPS,
      settingsFrom(
        telegramSettings,
        { type: 'telegram', token: fake.token, mode: 'webhook', api_root: fake.apiRoot },
        100,
      ),
    )
    fake.fail('sendMessage', { kind: 'slow', ms: 2000 })
    const err = await sendError(quick.send(outboundPayload({ to: '1', text: 'x' })))
    expect(err).toMatchObject({ kind: 'retry', possiblyDelivered: true })
  })

  it('never puts the bot token into an error message', async () => {
    const faults = [
      { kind: 'drop' as const },
      { kind: 'http' as const, status: 500, body: 'oops' },
      { kind: 'error' as const, code: 400, description: 'Bad Request: nope' },
    ]
    for (const f of faults) {
      fake.fail('sendMessage', f)
      const err = await sendError(tg.send(outboundPayload({ to: '1', text: 'x' })))
      expect(`${err.message} ${inspect(err.cause)}`).not.toContain(fake.token)
    }
  })
})

describe('telegram token rejected while sending', () => {
  it('fails the send as rejected/auth and puts the channel in error', async () => {
    const ctx = recordingContext()
    const bad = createTelegramConnector(
      DEPS,
      settingsFrom(telegramSettings, {
        type: 'telegram',
        token: '1:revoked',
        mode: 'webhook',
        api_root: fake.apiRoot,
      }),
    )
    await bad.start(ctx)
    const err = await sendError(bad.send(outboundPayload({ to: '1', text: 'x' })))
    expect(err).toMatchObject({ kind: 'rejected', code: 'auth' })
    expect(ctx.lastState()?.state).toBe('error')
    await bad.stop()
  })
})
