/**
 * Channel and recipient rate limits as the receiving platform sees them: never above either limit
 * in any one-second window, and one recipient's long queue never holds back everyone else.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'

let relay: WebhookReceiver
let t: TestGateway

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
  t = await startGateway(
    `channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    rules:
      rate: { per_second: 20, per_recipient_per_second: 2 }
`,
    { dispatcher: true },
  )
})
afterEach(async () => {
  await t.close()
  await relay.close()
})

const maxInAnySecond = (times: number[]): number =>
  Math.max(0, ...times.map((s) => times.filter((x) => x >= s && x < s + 1000).length))

describe('pacing', () => {
  it("keeps both limits at the receiver, and a hot recipient's queue does not hold back the others", async () => {
    const send = (address: string, text: string) =>
      t.call('POST', '/v1/messages', { body: { to: { channel: 'sms', address }, text } })
    // Ten messages to one person first (5 s of their 2/s), then one each to ten others.
    for (let i = 0; i < 10; i++) expect((await send('hot', `hot ${i}`)).status).toBe(202)
    for (let i = 0; i < 10; i++) expect((await send(`other-${i}`, 'hi')).status).toBe(202)
    await relay.waitFor((r) => r.total() >= 20, 15_000)

    const to = (r: (typeof relay.received)[number]) =>
      (r.json as { to: { address: string } }).to.address
    const hot = relay.received.filter((r) => to(r) === 'hot').map((r) => r.at)
    const others = relay.received.filter((r) => to(r) !== 'hot').map((r) => r.at)
    expect(maxInAnySecond(hot)).toBeLessThanOrEqual(2)
    expect(maxInAnySecond(relay.received.map((r) => r.at))).toBeLessThanOrEqual(20)
    // The others go out at the channel's pace, long before the hot queue is done.
    expect(Math.max(...others) - Math.min(...hot)).toBeLessThan(2500)
    expect(Math.max(...hot) - Math.min(...hot)).toBeGreaterThanOrEqual(4000)
  }, 20_000)
})
