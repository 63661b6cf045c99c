import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  recordingContext,
  startTelegramFake,
  waitFor,
  type TelegramFake,
} from '../../../test/fakes/telegram-api.js'
import type { Connector } from '../types.js'
import { createTelegramConnector } from './index.js'
import { OFFSET_KEY } from './polling.js'
import type { z } from 'zod'
import { settingsFrom } from '../shared/settings.test-helper.js'
import { telegramSettings } from './settings.js'

const DEPS = { name: 'tg', publicUrl: 'https://gw.example/', allowPrivateUrls: false }

let fake: TelegramFake
const running: Connector[] = []

beforeEach(async () => {
  fake = await startTelegramFake()
})

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()))
  await fake.close()
})

function connector(extra: Partial<z.input<typeof telegramSettings>> = {}): Connector {
  const c = createTelegramConnector(
    DEPS,
    settingsFrom(telegramSettings, {
      type: 'telegram',
      token: fake.token,
      api_root: fake.apiRoot,
      ...extra,
    }),
  )
  running.push(c)
  return c
}

describe('telegram start', () => {
  it('reports a rejected token as a channel error instead of throwing', async () => {
    const ctx = recordingContext()
    await connector({ token: '999:wrong' }).start(ctx)
    expect(ctx.lastState()).toMatchObject({ state: 'error' })
    expect(ctx.lastState()?.detail).toContain('401')
    expect(fake.callsTo('getUpdates')).toHaveLength(0)
  })

  it('removes a webhook left from webhook mode instead of reporting a conflict', async () => {
    fake.fail('getUpdates', {
      kind: 'error',
      code: 409,
      description:
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    })
    const ctx = recordingContext()
    await connector().start(ctx)
    fake.queueUpdate(fake.messageUpdate({ chatId: 5, text: 'after' }))
    await waitFor(() => ctx.inbounds.length === 1)
    expect(fake.callsTo('deleteWebhook')).toHaveLength(1)
    expect(ctx.states.some((s) => s.state === 'error')).toBe(false)
  })

  it('reports a second poller on the same bot (409 Conflict) as a channel error', async () => {
    const first = recordingContext()
    await connector().start(first)
    await waitFor(() => fake.pendingPolls() === 1)
    await connector().start(recordingContext())
    await waitFor(() => first.lastState()?.state === 'error')
    expect(first.lastState()?.detail).toMatch(/409/)
  })
})

describe('telegram polling', () => {
  it('turns a text message into an inbound message with a stable id and the sender', async () => {
    const ctx = recordingContext()
    await connector().start(ctx)
    fake.queueUpdate(
      fake.messageUpdate({ chatId: 4242, firstName: 'Ana', lastName: 'Lima', text: 'hi' }),
    )
    const [msg] = await waitFor(() => ctx.inbounds.length === 1 && ctx.inbounds)
    expect(msg).toMatchObject({
      platformMessageId: expect.stringMatching(/^4242:\d+$/),
      from: { address: '4242', firstName: 'Ana', lastName: 'Lima' },
      text: 'hi',
      attachments: [],
      sentAt: '2023-11-14T22:13:20.000Z',
    })
  })

  it('downloads the largest photo size and keeps the caption as text', async () => {
    const ctx = recordingContext()
    await connector().start(ctx)
    const photo = Buffer.from('full-size-jpeg-bytes')
    fake.queueUpdate(fake.messageUpdate({ chatId: 7, photo, caption: 'receipt' }))
    const [msg] = await waitFor(() => ctx.inbounds.length === 1 && ctx.inbounds)
    expect(msg?.text).toBe('receipt')
    expect(msg?.attachments).toHaveLength(1)
    expect(msg?.attachments[0]?.contentType).toBe('image/jpeg')
    expect(msg?.attachments[0]?.data.equals(photo)).toBe(true)
  })

  it('downloads a document with its name and type', async () => {
    const ctx = recordingContext()
    await connector().start(ctx)
    const data = Buffer.from('%PDF-1.4 bytes')
    fake.queueUpdate(
      fake.messageUpdate({
        chatId: 7,
        document: { data, fileName: 'a.pdf', mimeType: 'application/pdf' },
      }),
    )
    const [msg] = await waitFor(() => ctx.inbounds.length === 1 && ctx.inbounds)
    expect(msg?.text).toBeNull()
    expect(msg?.attachments[0]).toMatchObject({ filename: 'a.pdf', contentType: 'application/pdf' })
    expect(msg?.attachments[0]?.data.equals(data)).toBe(true)
  })

  it('reports a user blocking and unblocking the bot as reachability', async () => {
    const ctx = recordingContext()
    await connector().start(ctx)
    fake.queueUpdate(fake.memberUpdate(77, 'kicked'))
    fake.queueUpdate(fake.memberUpdate(77, 'member'))
    await waitFor(() => ctx.reach.length === 2)
    expect(ctx.reach).toEqual([
      { address: '77', reachable: false },
      { address: '77', reachable: true },
    ])
    expect(fake.callsTo('getUpdates')[0]?.params.allowed_updates).toContain('my_chat_member')
  })

  it('skips group messages but moves past them', async () => {
    const ctx = recordingContext()
    await connector().start(ctx)
    const group = fake.queueUpdate(
      fake.messageUpdate({ chatId: -100, chatType: 'group', text: 'all' }),
    )
    fake.queueUpdate(fake.messageUpdate({ chatId: 5, text: 'me' }))
    await waitFor(() => ctx.inbounds.length === 1)
    expect(ctx.inbounds[0]?.text).toBe('me')
    expect(Number(ctx.kvData.get(OFFSET_KEY))).toBeGreaterThan(group.update_id + 1)
  })

  it('does not re-deliver stored updates after a restart (offset kept in kv)', async () => {
    // The first instance dies right after its inbound was stored, before the next getUpdates
    // could confirm the update to Telegram: only the kv offset prevents re-reading it.
    const first = recordingContext()
    first.inbound = ((orig) => async (m) => {
      const r = await orig(m)
      first.abort()
      return r
    })(first.inbound.bind(first))
    await connector().start(first)
    const u1 = fake.queueUpdate(fake.messageUpdate({ chatId: 1, text: 'one' }))
    await waitFor(() => first.kvData.get(OFFSET_KEY) === String(u1.update_id + 1))

    const second = recordingContext({ kv: first.kvData })
    const before = fake.calls.length
    await connector().start(second)
    fake.queueUpdate(fake.messageUpdate({ chatId: 1, text: 'two' }))
    await waitFor(() => second.inbounds.length === 1)
    expect(second.inbounds.map((m) => m.text)).toEqual(['two'])
    const firstPoll = fake.calls.slice(before).find((c) => c.method === 'getUpdates')
    expect(firstPoll?.params.offset).toBe(u1.update_id + 1)
  })

  it('never loses an update whose inbound failed: it is retried, then the offset moves', async () => {
    const ctx = recordingContext()
    ctx.failInbound(1)
    await connector().start(ctx)
    const u = fake.queueUpdate(fake.messageUpdate({ chatId: 3, text: 'keep me' }))
    await waitFor(() => ctx.inbounds.length === 1, 10_000)
    expect(ctx.inbounds[0]?.text).toBe('keep me')
    expect(ctx.states.some((s) => s.state === 'error')).toBe(true)
    await waitFor(() => ctx.kvData.get(OFFSET_KEY) === String(u.update_id + 1))
    // The polling loop counted the failure on the daemon's health board and ticked after it.
    const errorAt = ctx.loopCalls.indexOf('error polling')
    expect(ctx.loopCalls[0]).toBe('register polling')
    expect(errorAt).toBeGreaterThan(0)
    await waitFor(() => ctx.loopCalls.lastIndexOf('tick polling') > errorAt)
  })
})

describe('telegram webhook mode', () => {
  const SECRET = 'hook-secret_1'

  function hook(body: unknown, secret?: string): Request {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (secret !== undefined) headers['x-telegram-bot-api-secret-token'] = secret
    return new Request('https://gw.example/hooks/telegram/tg', {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    })
  }

  it('registers /hooks/telegram/<name> with the secret and does not poll', async () => {
    const ctx = recordingContext()
    await connector({ mode: 'webhook', webhook_secret: SECRET }).start(ctx)
    await waitFor(() => ctx.lastState()?.state === 'connected')
    expect(fake.callsTo('setWebhook')[0]?.params).toMatchObject({
      url: 'https://gw.example/hooks/telegram/tg',
      secret_token: SECRET,
    })
    expect(fake.callsTo('getUpdates')).toHaveLength(0)
  })

  it('answers 401 to a request without the right secret and stores nothing', async () => {
    const ctx = recordingContext()
    const tg = connector({ mode: 'webhook', webhook_secret: SECRET })
    await tg.start(ctx)
    const update = { update_id: 1, ...fake.messageUpdate({ chatId: 9, text: 'x' }) }
    expect((await tg.handleHook!(hook(update))).status).toBe(401)
    expect((await tg.handleHook!(hook(update, 'wrong'))).status).toBe(401)
    expect(ctx.inbounds).toHaveLength(0)
  })

  it('stores a correctly signed update and answers 200', async () => {
    const ctx = recordingContext()
    const tg = connector({ mode: 'webhook', webhook_secret: SECRET })
    await tg.start(ctx)
    const update = { update_id: 1, ...fake.messageUpdate({ chatId: 9, text: 'via hook' }) }
    expect((await tg.handleHook!(hook(update, SECRET))).status).toBe(200)
    expect(ctx.inbounds[0]).toMatchObject({ text: 'via hook', from: { address: '9' } })
  })

  it('answers 503 when storing fails (store busy or full), so Telegram delivers again', async () => {
    const ctx = recordingContext()
    ctx.failInbound(1)
    const tg = connector({ mode: 'webhook', webhook_secret: SECRET })
    await tg.start(ctx)
    const update = { update_id: 1, ...fake.messageUpdate({ chatId: 9, text: 'again' }) }
    expect((await tg.handleHook!(hook(update, SECRET))).status).toBe(503)
    expect((await tg.handleHook!(hook(update, SECRET))).status).toBe(200)
    expect(ctx.inbounds).toHaveLength(1)
  })
})
