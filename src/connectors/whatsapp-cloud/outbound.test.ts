import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startGraphFake, type GraphFake } from '../../../test/fakes/graph-api.js'
import {
  outboundPayload,
  recordingContext,
  testAttachment,
  type RecordingContext,
} from '../../../test/fakes/telegram-api.js'
import { SendError, type Connector } from '../types.js'
import { createWhatsAppCloudConnector, type WhatsAppCloudSettings } from './index.js'
import { settingsFrom } from '../shared/settings.test-helper.js'
import { whatsappCloudSettings } from './settings.js'

const DEPS = { name: 'wa', publicUrl: 'https://gw.example', allowPrivateUrls: false }
const TO = '+4917612345678'

let fake: GraphFake
let wa: Connector
let ctx: RecordingContext

function settings(extra: Partial<WhatsAppCloudSettings> = {}): WhatsAppCloudSettings {
  const parsed = settingsFrom(whatsappCloudSettings, {
    type: 'whatsapp-cloud',
    phone_number_id: fake.phoneNumberId,
    access_token: fake.accessToken,
    app_secret: 'app-secret',
    verify_token: 'verify-me',
    graph_url: fake.graphUrl,
    templates: {
      refund_update: {
        name: 'refund_status_v2',
        language: 'en_US',
        parameters: ['first_name', 'status'],
      },
    },
  })
  return { ...parsed, ...extra }
}

beforeEach(async () => {
  fake = await startGraphFake()
  wa = createWhatsAppCloudConnector(DEPS, settings())
  ctx = recordingContext()
  await wa.start(ctx)
})

afterEach(async () => {
  await wa.stop()
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

const waError = (status: number, code: number, message: string) => ({
  kind: 'error' as const,
  status,
  code,
  message,
})

describe('whatsapp-cloud start', () => {
  it('is connected once the phone number object can be read with the token', () => {
    expect(ctx.lastState()).toEqual({ state: 'connected' })
  })

  it('reports a rejected token as a channel error instead of throwing', async () => {
    const other = recordingContext()
    const bad = createWhatsAppCloudConnector(DEPS, settings({ access_token: 'expired' }))
    await bad.start(other)
    expect(other.lastState()?.state).toBe('error')
    expect(other.lastState()?.detail).toMatch(/190|401/)
    expect(other.lastState()?.detail).not.toContain('expired')
    await bad.stop()
  })
})

describe('whatsapp-cloud send', () => {
  it('sends text to the number without "+" and returns the wamid', async () => {
    const res = await wa.send(outboundPayload({ to: TO, text: 'Hallo' }))
    expect(fake.sends[0]?.body).toMatchObject({
      messaging_product: 'whatsapp',
      to: '4917612345678',
      type: 'text',
      text: { body: 'Hallo' },
    })
    expect(res.platformMessageId).toBe(fake.sends[0]?.wamid)
  })

  it('sends media by link to the signed URL, the text as caption, documents with their name', async () => {
    const img = testAttachment('a.jpg', 'image/jpeg', Buffer.from('a'))
    const pdf = testAttachment('terms.pdf', 'application/pdf', Buffer.from('b'))
    await wa.send(outboundPayload({ to: TO, text: 'see', attachments: [img, pdf] }))
    expect(fake.sends.map((s) => s.body.type)).toEqual(['image', 'document'])
    expect(fake.sends[0]?.body.image).toEqual({ link: img.url, caption: 'see' })
    expect(fake.sends[1]?.body.document).toEqual({ link: pdf.url, filename: 'terms.pdf' })
  })

  it('sends a mapped template natively, body parameters in the configured order', async () => {
    await wa.send(
      outboundPayload({
        to: TO,
        text: 'Hi Ana, your refund is approved.',
        template: { name: 'refund_update', variables: { status: 'approved', first_name: 'Ana' } },
      }),
    )
    expect(fake.sends[0]?.body).toMatchObject({
      type: 'template',
      template: {
        name: 'refund_status_v2',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana' },
              { type: 'text', text: 'approved' },
            ],
          },
        ],
      },
    })
  })

  it('sends an unmapped template as its rendered text', async () => {
    await wa.send(
      outboundPayload({ to: TO, text: 'Rendered', template: { name: 'other', variables: {} } }),
    )
    expect(fake.sends[0]?.body).toMatchObject({ type: 'text', text: { body: 'Rendered' } })
  })

  it('refuses a mapped template whose variable is missing, without calling Meta', async () => {
    const out = outboundPayload({
      to: TO,
      text: 'x',
      template: { name: 'refund_update', variables: { status: 'ok' } },
    })
    expect(await sendError(wa.send(out))).toMatchObject({
      kind: 'rejected',
      code: 'variable_missing',
    })
    expect(fake.sends).toHaveLength(0)
  })

  it('maps 131047 (outside the 24 h window) to rejected template_required', async () => {
    fake.fail('messages', waError(400, 131047, 'Re-engagement message'))
    expect(await sendError(wa.send(outboundPayload({ to: TO, text: 'late' })))).toMatchObject({
      kind: 'rejected',
      code: 'template_required',
    })
  })

  it('maps 131026 (not a WhatsApp user) to unreachable', async () => {
    fake.fail('messages', waError(400, 131026, 'Message undeliverable'))
    expect(await sendError(wa.send(outboundPayload({ to: TO, text: 'x' })))).toMatchObject({
      kind: 'unreachable',
    })
  })

  it('maps throughput and rate-limit codes to retry, honouring Retry-After', async () => {
    fake.fail('messages', waError(400, 130429, 'Rate limit hit'))
    expect(await sendError(wa.send(outboundPayload({ to: TO, text: 'x' })))).toMatchObject({
      kind: 'retry',
      code: 'rate_limited',
    })
    fake.fail('messages', {
      ...waError(429, 4, 'Application request limit reached'),
      headers: { 'retry-after': '3' },
    })
    expect(await sendError(wa.send(outboundPayload({ to: TO, text: 'x' })))).toMatchObject({
      kind: 'retry',
      retryAfterMs: 3000,
    })
    fake.fail('messages', {
      ...waError(429, 4, 'Application request limit reached'),
      headers: { 'retry-after': new Date(Date.now() + 60_000).toUTCString() },
    })
    const dated = await sendError(wa.send(outboundPayload({ to: TO, text: 'x' })))
    expect(dated.retryAfterMs).toBeGreaterThan(50_000)
    expect(dated.retryAfterMs).toBeLessThanOrEqual(60_000)
  })

  it('maps other 4xx to rejected, 5xx and dropped connections to retry', async () => {
    fake.fail('messages', waError(400, 132001, 'Template name does not exist in the translation'))
    expect(await sendError(wa.send(outboundPayload({ to: TO, text: 'x' })))).toMatchObject({
      kind: 'rejected',
      code: 'whatsapp_132001',
    })
    fake.fail('messages', { kind: 'http', status: 503, body: 'unavailable' })
    expect(await sendError(wa.send(outboundPayload({ to: TO, text: 'x' })))).toMatchObject({
      kind: 'retry',
      possiblyDelivered: false,
    })
    fake.fail('messages', { kind: 'drop' })
    expect(await sendError(wa.send(outboundPayload({ to: TO, text: 'x' })))).toMatchObject({
      kind: 'retry',
      possiblyDelivered: true,
    })
  })

  it('gives up at the send deadline as a possibly delivered retry', async () => {
    fake.fail('messages', { kind: 'slow', ms: 2000 })
    const err = await sendError(
      wa.send(outboundPayload({ to: TO, text: 'x', signal: AbortSignal.timeout(100) })),
    )
    expect(err).toMatchObject({ kind: 'retry', code: 'timeout', possiblyDelivered: true })
  })

  it('applies the channel timeout (timeout_ms) to each call', async () => {
    const quick = createWhatsAppCloudConnector(DEPS, settings({ timeout_ms: 100 }))
    fake.fail('messages', { kind: 'slow', ms: 2000 })
    const err = await sendError(quick.send(outboundPayload({ to: TO, text: 'x' })))
    expect(err).toMatchObject({ kind: 'retry', code: 'timeout', possiblyDelivered: true })
    await quick.stop()
  })

  it('on retry, does not send again the parts that already went out', async () => {
    const audio = testAttachment('note.ogg', 'audio/ogg', Buffer.from('o'))
    // audio takes no caption: the text goes first, on its own
    const out = outboundPayload({
      to: TO,
      text: 'listen',
      attachments: [audio],
      messageId: 'msg_PARTS',
    })
    fake.fail('messages', { kind: 'pass' })
    fake.fail('messages', { kind: 'http', status: 500, body: 'oops' })
    await sendError(wa.send(out))
    const res = await wa.send({ ...out, attempt: 2 })
    expect(fake.sends.map((s) => [s.body.type, s.wamid !== null])).toEqual([
      ['text', true],
      ['audio', false],
      ['audio', true],
    ])
    expect(res.platformMessageId).toBe(fake.sends[0]?.wamid)
  })

  it('maps a rejected token to rejected/auth, and recovers the state on the next success', async () => {
    fake.fail('messages', waError(401, 190, 'Error validating access token: Session has expired'))
    expect(await sendError(wa.send(outboundPayload({ to: TO, text: 'x' })))).toMatchObject({
      kind: 'rejected',
      code: 'auth',
    })
    expect(ctx.lastState()?.state).toBe('error')
    await wa.send(outboundPayload({ to: TO, text: 'x' }))
    expect(ctx.lastState()?.state).toBe('connected')
  })
})
