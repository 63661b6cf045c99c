import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  graphChange,
  graphInbound,
  graphVerifyRequest,
  graphWebhookRequest,
  startGraphFake,
  type GraphFake,
} from '../../../test/fakes/graph-api.js'
import { recordingContext, type RecordingContext } from '../../../test/fakes/telegram-api.js'
import type { Connector } from '../types.js'
import { createWhatsAppCloudConnector } from './index.js'
import { settingsFrom } from '../shared/settings.test-helper.js'
import { whatsappCloudSettings } from './settings.js'

const DEPS = { name: 'wa', publicUrl: 'https://gw.example', allowPrivateUrls: false }
const APP_SECRET = 'app-secret'
const VERIFY = 'verify-me'

let fake: GraphFake
let wa: Connector
let ctx: RecordingContext

beforeEach(async () => {
  fake = await startGraphFake()
  wa = createWhatsAppCloudConnector(
    DEPS,
    settingsFrom(whatsappCloudSettings, {
      type: 'whatsapp-cloud',
      phone_number_id: fake.phoneNumberId,
      access_token: fake.accessToken,
      app_secret: APP_SECRET,
      verify_token: VERIFY,
      graph_url: fake.graphUrl,
    }),
  )
  ctx = recordingContext()
  await wa.start(ctx)
})

afterEach(async () => {
  await wa.stop()
  await fake.close()
})

const post = (payload: unknown, signature?: string): Promise<Response> =>
  wa.handleHook!(
    graphWebhookRequest(APP_SECRET, payload, signature === undefined ? {} : { signature }),
  )

describe('whatsapp-cloud webhook handshake', () => {
  it('echoes hub.challenge as text/plain when the verify token matches', async () => {
    const res = await wa.handleHook!(
      graphVerifyRequest({
        'hub.mode': 'subscribe',
        'hub.verify_token': VERIFY,
        'hub.challenge': '1158201444',
      }),
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain')
    expect(await res.text()).toBe('1158201444')
  })

  it('answers 403 to a wrong verify token', async () => {
    const res = await wa.handleHook!(
      graphVerifyRequest({
        'hub.mode': 'subscribe',
        'hub.verify_token': 'guess',
        'hub.challenge': '1',
      }),
    )
    expect(res.status).toBe(403)
  })
})

describe('whatsapp-cloud webhook deliveries', () => {
  const text = graphChange(
    '106540352242922',
    graphInbound('4917612345678', 'Ana Lima', {
      id: 'wamid.IN1',
      type: 'text',
      text: { body: 'Hallo' },
    }),
  )

  it('answers 401 to a missing, malformed or wrong signature and stores nothing', async () => {
    expect((await post(text, '')).status).toBe(401)
    expect((await post(text, 'sha256=zz')).status).toBe(401)
    expect((await wa.handleHook!(graphWebhookRequest('other-secret', text))).status).toBe(401)
    expect(ctx.inbounds).toHaveLength(0)
  })

  it('turns a text message into an inbound message from the E.164 number, named by its profile', async () => {
    expect((await post(text)).status).toBe(200)
    expect(ctx.inbounds).toEqual([
      {
        platformMessageId: 'wamid.IN1',
        from: { address: '+4917612345678', phone: '+4917612345678', displayName: 'Ana Lima' },
        text: 'Hallo',
        attachments: [],
        sentAt: '2023-11-14T22:13:20.000Z',
      },
    ])
  })

  it('downloads an image by its media id, with the caption as text', async () => {
    const jpeg = Buffer.from('jpeg-from-meta')
    fake.addMedia('1234567890', jpeg, 'image/jpeg')
    const image = {
      id: 'wamid.IN2',
      type: 'image',
      image: { id: '1234567890', mime_type: 'image/jpeg', caption: 'receipt' },
    }
    expect(
      (await post(graphChange(fake.phoneNumberId, graphInbound('4917612345678', 'Ana', image))))
        .status,
    ).toBe(200)
    expect(ctx.inbounds[0]?.text).toBe('receipt')
    expect(ctx.inbounds[0]?.attachments[0]?.contentType).toBe('image/jpeg')
    expect(ctx.inbounds[0]?.attachments[0]?.data.equals(jpeg)).toBe(true)
  })

  it('reports statuses by wamid, a failed one with its mapped error code', async () => {
    const statuses = [
      {
        id: 'wamid.OUT1',
        status: 'delivered',
        timestamp: '1700000001',
        recipient_id: '4917612345678',
      },
      { id: 'wamid.OUT1', status: 'read', timestamp: '1700000002', recipient_id: '4917612345678' },
      {
        id: 'wamid.OUT2',
        status: 'failed',
        timestamp: '1700000003',
        recipient_id: '4917612345678',
        errors: [
          {
            code: 131047,
            title: 'Re-engagement message',
            error_data: { details: 'more than 24 hours' },
          },
        ],
      },
    ]
    expect((await post(graphChange(fake.phoneNumberId, { statuses }))).status).toBe(200)
    expect(ctx.statuses.map((s) => [s.platformMessageId, s.status, s.error?.code])).toEqual([
      ['wamid.OUT1', 'delivered', undefined],
      ['wamid.OUT1', 'read', undefined],
      ['wamid.OUT2', 'failed', 'template_required'],
    ])
    expect(ctx.statuses[0]?.at).toBe('2023-11-14T22:13:21.000Z')
    expect(ctx.reach).toHaveLength(0) // a re-engagement failure says nothing about the number
  })

  it('marks the recipient unreachable on a failed status 131026 (undeliverable after acceptance)', async () => {
    const statuses = [
      {
        id: 'wamid.OUT3',
        status: 'failed',
        timestamp: '1700000004',
        recipient_id: '4917612345678',
        errors: [{ code: 131026, title: 'Message undeliverable' }],
      },
    ]
    expect((await post(graphChange(fake.phoneNumberId, { statuses }))).status).toBe(200)
    expect(ctx.statuses[0]?.error?.code).toBe('undeliverable')
    expect(ctx.reach).toEqual([{ address: '+4917612345678', reachable: false }])
  })

  it('ignores changes that belong to another phone number of the business account', async () => {
    const other = graphChange(
      '999999999',
      graphInbound('4917612345678', 'Ana', { id: 'wamid.X', type: 'text', text: { body: 'x' } }),
    )
    expect((await post(other)).status).toBe(200)
    expect(ctx.inbounds).toHaveLength(0)
  })

  it('answers 503 when storing fails (store busy or full), so Meta delivers again', async () => {
    ctx.failInbound(1)
    expect((await post(text)).status).toBe(503)
    expect((await post(text)).status).toBe(200)
    expect(ctx.inbounds).toHaveLength(1)
  })
})
