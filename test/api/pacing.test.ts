/**
 * Channel and recipient rate limits as the receiving platform sees them: never above either limit
 * in any one-second window, and one recipient's long queue never holds back everyone else — on a
 * loaded machine too. The relay runs in a process of its own and stamps arrivals there (an
 * in-process relay's stamps wait for the gateway's event loop, which bunches them), and another
 * process keeps a core busy throughout.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startArrivalRecorder, type ArrivalRecorder } from '../fakes/arrival-recorder.js'
import { startBusyCore, type BusyCore } from '../helpers/busy-core.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'

let relay: ArrivalRecorder
let busy: BusyCore
let t: TestGateway

beforeEach(async () => {
  relay = await startArrivalRecorder()
  busy = startBusyCore()
  t = await startGateway(
    `channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    rules:
      rate: { per_second: 20, per_recipient_per_second: 2 }
`,
    // Started once everything is accepted: the figures below are the dispatcher's alone, not
    // how fast a loaded machine accepts 20 requests.
    { dispatcher: false },
  )
})
afterEach(async () => {
  await t.close()
  await busy.stop()
  await relay.close()
})

const maxInAnySecond = (times: number[]): number =>
  Math.max(0, ...times.map((s) => times.filter((x) => x >= s && x < s + 1000).length))

describe('pacing', () => {
  it("keeps both limits at the receiver under load, and a hot recipient's queue does not hold back the others", async () => {
    const send = (address: string, text: string) =>
      t.call('POST', '/v1/messages', { body: { to: { channel: 'sms', address }, text } })
    // Ten messages to one person first (5 s of their 2/s), then one each to ten others.
    for (let i = 0; i < 10; i++) expect((await send('hot', `hot ${i}`)).status).toBe(202)
    for (let i = 0; i < 10; i++) expect((await send(`other-${i}`, 'hi')).status).toBe(202)
    t.gw.outbox.start()
    await expect.poll(async () => (await relay.arrivals()).length, { timeout: 15_000 }).toBe(20)

    const got = await relay.arrivals()
    const hot = got.filter((r) => r.address === 'hot').map((r) => r.at)
    const others = got.filter((r) => r.address !== 'hot').map((r) => r.at)
    expect(maxInAnySecond(hot)).toBeLessThanOrEqual(2)
    expect(maxInAnySecond(got.map((r) => r.at))).toBeLessThanOrEqual(20)
    // The others go out at the channel's pace, long before the hot queue is done: all of them
    // before its second half (which its own limit keeps 2 s or more after its first message).
    expect(Math.max(...others)).toBeLessThan(hot[5] ?? 0)
    expect(Math.max(...hot) - Math.min(...hot)).toBeGreaterThanOrEqual(4000)
  }, 20_000)
})
