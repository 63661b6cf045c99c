/**
 * The ack watchdog through the in-process gateway: a real webhook channel (a local relay) made
 * "watched" by giving its connector the `ackWatch` capability, which is all the watchdog asks of
 * a connector. Passes are run with an explicit clock so nothing waits for the limit.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createConnector, type Connector } from '../connectors/index.js'
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../../test/helpers/harness.js'
import { ackWatchMs } from './watchdog.js'
import { settingsFrom } from '../connectors/shared/settings.test-helper.js'
import { whatsappSettings } from '../connectors/whatsapp/settings.js'

const LIMIT_MS = 60_000

let relay: WebhookReceiver
let events: WebhookReceiver
let t: TestGateway

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
  events = await startWebhookReceiver({ secret: 'events-secret' })
  t = await startGateway(
    `channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
  plain:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
webhooks:
  - url: ${events.url}
    secret: events-secret
    events: [message.undelivered]
`,
    {
      dispatcher: true,
      connectorFactory: async (deps, settings) => {
        const c = await createConnector(deps, settings)
        return deps.name === 'sms'
          ? Object.assign(c, {
              capabilities: { ...c.capabilities, ackWatch: { undeliveredAfterMs: LIMIT_MS } },
            })
          : c
      },
    },
  )
})
afterEach(async () => {
  await t.close()
  await relay.close()
  await events.close()
})

/** Messages whose `sent` status event was published. */
const wentLive = new Set<string>()

async function sent(channel: string, address: string): Promise<string> {
  t.gw.svc.live.subscribe((evs) => {
    for (const e of evs)
      if (e.type === 'message.status' && e.data.status === 'sent')
        wentLive.add(String(e.data.message_id))
  })
  const r = await t.call('POST', '/v1/messages', {
    key: KEYS.shop,
    body: { to: { channel, address }, text: 'hello' },
  })
  expect(r.status).toBe(202)
  const id = r.body.id as string
  await expect.poll(async () => (await message(id)).status, { timeout: 5000 }).toBe('sent')
  // The `sent` live event follows the commit once it is on disk: let it pass before a test listens.
  await expect.poll(() => wentLive.has(id), { timeout: 5000 }).toBe(true)
  return id
}

async function message(id: string): Promise<Record<string, any>> {
  return (await t.call('GET', `/v1/messages/${id}`)).body as Record<string, any>
}

const later = (ms: number): Date => new Date(Date.now() + ms)

async function undeliveredMetric(channel: string): Promise<number> {
  const text = (await t.call('GET', '/metrics', { key: null })).body as string
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`omnigate_messages_undelivered_total{channel="${channel}"}`))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}

describe('ack watchdog', () => {
  it('flags a sent message without a delivery ack once, after the limit, and never resends it', async () => {
    const id = await sent('sms', '+491701234567')
    expect(await t.gw.watchdog.check(later(LIMIT_MS - 5_000))).toEqual([])
    expect((await message(id)).undelivered_after).toBeNull()

    const live: string[] = []
    const unsubscribe = t.gw.svc.live.subscribe((evs) =>
      live.push(...evs.map((e) => `${e.type} ${String(e.data.message_id)}`)),
    )
    const at = later(LIMIT_MS + 1_000)
    expect(await t.gw.watchdog.check(at)).toEqual([id])
    unsubscribe()
    // The console's timeline hears it live too.
    expect(live).toEqual([`message.undelivered ${id}`])
    const m = await message(id)
    expect(m).toMatchObject({ status: 'sent', undelivered_after: at.toISOString() })
    expect(await undeliveredMetric('sms')).toBe(1)
    // Queued in the flag's transaction, due at the flag's time (the webhook worker's clock is real).
    const queued = await t.gw.store.webhooks.lease(at.getTime() + 1, 10, 60_000)
    expect(queued.map((d) => d.target)).toEqual([events.url])
    const ev = JSON.parse(queued[0]?.payload ?? '{}') as {
      type: string
      data: Record<string, unknown>
    }
    expect(ev.type).toBe('message.undelivered')
    expect(ev.data).toMatchObject({
      message_id: id,
      channel: 'sms',
      to: '+491701234567',
      status: 'sent',
      undelivered_after: at.toISOString(),
      after_ms: LIMIT_MS,
    })
    expect(ev.data.sent_at).toBe(m.status_history.find((h: any) => h.status === 'sent').at)

    // Once: later passes leave it alone, and it is never sent again.
    expect(await t.gw.watchdog.check(later(3 * LIMIT_MS))).toEqual([])
    expect(await undeliveredMetric('sms')).toBe(1)
    expect(relay.total()).toBe(1)
    expect((await message(id)).undelivered_after).toBe(at.toISOString())
    expect(await t.gw.store.webhooks.depth()).toBe(1)
  })

  it('leaves delivered messages and channels whose connector has no limit alone', async () => {
    const delivered = await sent('sms', '+491701234567')
    await t.gw.store.messages.advance(delivered, 'delivered', new Date().toISOString(), {}, [])
    const unwatched = await sent('plain', '+491701234568')
    const waiting = await sent('sms', '+491701234569')
    expect(await t.gw.watchdog.check(later(2 * LIMIT_MS))).toEqual([waiting])
    expect((await message(delivered)).undelivered_after).toBeNull()
    expect((await message(unwatched)).undelivered_after).toBeNull()
    expect(await undeliveredMetric('plain')).toBe(0)
  })

  it('flags every overdue message, oldest first', async () => {
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push(await sent('sms', `+49170123456${i}`))
    expect(await t.gw.watchdog.check(later(2 * LIMIT_MS))).toEqual(ids)
  })
})

describe('ackWatchMs', () => {
  // Only `capabilities` is read: the rest of a connector does not matter here.
  const withAck = (ackWatch: { undeliveredAfterMs: number } | null): Connector =>
    ({ name: 'x', capabilities: { ackWatch } }) as unknown as Connector
  it.each([
    [null, null],
    [{ undeliveredAfterMs: 0 }, null],
    [{ undeliveredAfterMs: -1 }, null],
    [{ undeliveredAfterMs: Number.NaN }, null],
    [{ undeliveredAfterMs: Number.POSITIVE_INFINITY }, null],
    [{ undeliveredAfterMs: 60_000 }, 60_000],
  ])('ackWatch %j → %s', (ackWatch, expected) => {
    expect(ackWatchMs(withAck(ackWatch))).toBe(expected)
  })
  it('null (a channel that did not start) is not watched', () => {
    expect(ackWatchMs(null)).toBeNull()
  })
  it('WhatsApp Web declares it, with the configured limit', async () => {
    const wa = await createConnector(
      { name: 'wa', publicUrl: 'http://127.0.0.1', allowPrivateUrls: true },
      settingsFrom(whatsappSettings, { type: 'whatsapp', undelivered_after: '90s' }),
    )
    expect(ackWatchMs(wa)).toBe(90_000)
  })
})
