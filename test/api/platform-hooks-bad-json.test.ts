/**
 * Platform hooks (`POST /hooks/{type}/{name}`) take whatever JSON arrives with a valid signature:
 * `null`, a number, an array, a string, deep nesting, lists that are not lists, items without the
 * fields we read. None is a 5xx (the platform would redeliver it for days, and a plain-text 500
 * was the fuzz suite's find): a body that is no webhook object is a 400, odd items are skipped and
 * the rest of the body is stored.
 */
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { graphChange, graphInbound, startGraphFake, type GraphFake } from '../fakes/graph-api.js'
import { lineEvents, lineUserId, startLineFake, type LineFake } from '../fakes/line-api.js'
import { startTelegramFake, type TelegramFake } from '../fakes/telegram-api.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'

const WA_SECRET = 'wa-app-secret'
const LINE_SECRET = 'line-channel-secret'
const TG_SECRET = 'tg-hook-secret'

let graph: GraphFake
let line: LineFake
let tg: TelegramFake
let t: TestGateway

beforeAll(async () => {
  graph = await startGraphFake()
  line = await startLineFake()
  tg = await startTelegramFake()
  t = await startGateway(
    `server:
  public_url: https://gw.example
channels:
  wa:
    type: whatsapp-cloud
    phone_number_id: "${graph.phoneNumberId}"
    access_token: ${graph.accessToken}
    app_secret: ${WA_SECRET}
    verify_token: verify
    graph_url: ${graph.graphUrl}
  line:
    type: line
    channel_access_token: ${line.channelAccessToken}
    channel_secret: ${LINE_SECRET}
    api_base_url: ${line.baseUrl}
  tg:
    type: telegram
    token: "${tg.token}"
    api_root: ${tg.apiRoot}
    mode: webhook
    webhook_secret: ${TG_SECRET}
`,
  )
})
afterAll(async () => {
  await t?.close()
  await Promise.all([graph?.close(), line?.close(), tg?.close()])
})

const hmac = (secret: string, body: string, enc: 'hex' | 'base64') =>
  createHmac('sha256', secret).update(body).digest(enc)

/** POSTs `raw` to the channel's hook with the right signature. */
async function hook(channel: 'wa' | 'line' | 'tg', raw: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (channel === 'wa') headers['x-hub-signature-256'] = `sha256=${hmac(WA_SECRET, raw, 'hex')}`
  if (channel === 'line') headers['x-line-signature'] = hmac(LINE_SECRET, raw, 'base64')
  if (channel === 'tg') headers['x-telegram-bot-api-secret-token'] = TG_SECRET
  const type = { wa: 'whatsapp-cloud', line: 'line', tg: 'telegram' }[channel]
  return t.call('POST', `/hooks/${type}/${channel}`, { key: null, raw, headers })
}

const deep = (levels: number, open = '[', close = ']') => open.repeat(levels) + close.repeat(levels)
const stored = async (channel: string, id: string) =>
  (await t.gw.store.messages.findByPlatformId(channel, id)) !== null

const notObjects = [
  'null',
  '0',
  '42',
  '-1.5e300',
  'true',
  '"a string"',
  '[]',
  '[null, 1, "x"]',
  deep(5000),
  deep(100_000),
]

describe('platform hooks and JSON of any shape', () => {
  it('a signed null body on POST /hooks/whatsapp-cloud/{name} is a 400, not a plain-text 500 (fuzz seed 791696231)', async () => {
    expect((await hook('wa', 'null')).status).toBe(400)
  })

  it.each(['wa', 'line', 'tg'] as const)(
    '%s: a signed body that is not a webhook object is a 400',
    async (channel) => {
      for (const raw of notObjects)
        expect([raw.slice(0, 20), (await hook(channel, raw)).status]).toEqual([
          raw.slice(0, 20),
          400,
        ])
    },
  )

  it.each(['wa', 'line', 'tg'] as const)(
    '%s: deeply nested objects are answered without a 5xx',
    async (channel) => {
      for (const key of ['entry', 'events', 'message', 'update_id']) {
        const raw = `{"${key}":${deep(5000, '{"a":', '}').replace(/\{"a":\}/, '{"a":1}')}}`
        const status = (await hook(channel, raw)).status
        expect(status).toBeLessThan(500)
      }
    },
  )

  it('whatsapp-cloud: odd lists and items are skipped, the good message in the same body is stored', async () => {
    for (const body of [
      { entry: 5 },
      { entry: [null, 1, 'x', { changes: 'no' }] },
      { entry: [{ changes: [null, { field: 'messages', value: 5 }] }] },
      graphChange(graph.phoneNumberId, { messages: { not: 'a list' }, statuses: 7 }),
      graphChange(graph.phoneNumberId, {
        messages: [
          null,
          { id: 'wamid.bad1', from: 4915, type: 'text' },
          { id: 'wamid.bad2', from: '49151', timestamp: 'soon', type: 'text', text: { body: 'x' } },
        ],
        statuses: [{ id: 'wamid.s', status: 'read', timestamp: 'x' }, null],
        contacts: 'nobody',
      }),
    ]) {
      expect((await hook('wa', JSON.stringify(body))).status).toBe(200)
    }
    expect(await stored('wa', 'wamid.bad2')).toBe(false)

    const good = graphInbound('4915112345678', 'Ana', {
      id: 'wamid.good',
      type: 'text',
      text: { body: 'hi' },
    })
    const mixed = graphChange(graph.phoneNumberId, {
      ...good,
      messages: [
        { id: 'wamid.odd', from: ['4915112345678'], type: 'text' },
        ...(good.messages as unknown[]),
      ],
    })
    expect((await hook('wa', JSON.stringify(mixed))).status).toBe(200)
    expect(await stored('wa', 'wamid.good')).toBe(true)
    expect(await stored('wa', 'wamid.odd')).toBe(false)
  })

  it('line: odd lists and events are skipped, the good event in the same body is stored', async () => {
    const user = lineUserId(7)
    for (const body of [
      { events: 5 },
      { events: 'x' },
      {
        events: [
          null,
          1,
          { type: 5 },
          { type: 'message', timestamp: 'now', source: { type: 'user', userId: user } },
        ],
      },
      {
        events: [
          {
            type: 'message',
            source: { type: 'user', userId: 'not-a-line-id' },
            message: { id: 'L-bad', type: 'text', text: 'x' },
          },
        ],
      },
    ]) {
      expect((await hook('line', JSON.stringify(body))).status).toBe(200)
    }
    expect(await stored('line', 'L-bad')).toBe(false)
    const body = {
      events: [{ type: 'message', message: 'odd' }, lineEvents.text(user, 'L-good', 'hi')],
    }
    expect((await hook('line', JSON.stringify(body))).status).toBe(200)
    expect(await stored('line', 'L-good')).toBe(true)
  })

  it('telegram: an update of a shape we do not read is skipped with 200 (it must not hold back the next ones)', async () => {
    for (const update of [
      { update_id: 1, message: 5 },
      { update_id: 2, message: { message_id: 1, date: 1, chat: null, text: 'x' } },
      {
        update_id: 3,
        message: { message_id: 1, date: 'today', chat: { id: 5, type: 'private' }, text: 'x' },
      },
      { update_id: 4, my_chat_member: { chat: {} } },
      {
        update_id: 5,
        message: { message_id: 9, date: 1, chat: { id: 0, type: 'private' }, text: 'x' },
      },
    ]) {
      expect((await hook('tg', JSON.stringify(update))).status).toBe(200)
    }
    expect(await stored('tg', '5:1')).toBe(false)
    expect(await stored('tg', '0:9')).toBe(false)
    const good = { update_id: 6, ...tg.messageUpdate({ chatId: 77, firstName: 'Kim', text: 'hi' }) }
    expect((await hook('tg', JSON.stringify(good))).status).toBe(200)
    const id = (good.message as { message_id: number }).message_id
    expect(await stored('tg', `77:${id}`)).toBe(true)
  })
})
