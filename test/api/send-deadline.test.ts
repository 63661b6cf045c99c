/**
 * A send's deadline and the gateway's stop, as the dispatcher gives them to a connector: its
 * signal aborts at `dispatcher.send_timeout` (the try counts, and the message waits for its
 * retry) or when a stop's grace is over (the job goes back to the queue, no try counted). A
 * connector that ignores its signal still cannot hold its slot past either.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createConnector } from '../../src/connectors/index.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'

let t: TestGateway | undefined
/** The signal of each send handed to the connector, which never answers. */
let signals: AbortSignal[] = []

afterEach(async () => {
  await t?.close()
  t = undefined
  signals = []
})

async function gatewayWithHangingChannel(sendTimeout: string): Promise<TestGateway> {
  return startGateway(
    `dispatcher:
  send_timeout: ${sendTimeout}
channels:
  sms:
    type: webhook
    url: http://127.0.0.1:9/never
    secret: relay-secret
    address: phone
`,
    {
      dispatcher: true,
      // The real webhook connector, whose send hangs and ignores its signal.
      connectorFactory: async (deps, settings) => {
        const c = await createConnector(deps, settings)
        c.send = (out) => {
          signals.push(out.signal)
          return new Promise(() => undefined)
        }
        return c
      },
    },
  )
}

async function send(gw: TestGateway): Promise<string> {
  const res = await gw.call('POST', '/v1/messages', {
    body: { to: { channel: 'sms', address: '+4917012345678' }, text: 'hello' },
  })
  expect(res.status).toBe(202)
  return res.body.id as string
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5000
  for (;;) {
    const v = await read()
    if (done(v) || Date.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('a send’s deadline', () => {
  it('aborts the send at dispatcher.send_timeout; the try counts and the message waits to retry', async () => {
    t = await gatewayWithHangingChannel('300ms')
    const gw = t
    const id = await send(gw)
    const m = await until(
      async () => (await gw.call('GET', `/v1/messages/${id}`)).body,
      (b) => b.error?.code === 'timeout',
    )
    expect(m.error.code).toBe('timeout')
    expect(m.attempts).toBe(1)
    expect(signals[0]?.aborted).toBe(true)
    expect((signals[0]?.reason as Error).name).toBe('TimeoutError')
  })

  it('aborts a send still running when the stop’s grace is over; the job goes back uncounted', async () => {
    const first = await gatewayWithHangingChannel('60s')
    const id = await send(first)
    await until(
      () => Promise.resolve(signals.length),
      (n) => n > 0,
    )
    expect(signals[0]?.aborted).toBe(false)
    await first.stop() // a grace of 1 s, which the hanging send outlives
    expect(signals[0]?.aborted).toBe(true)
    // The same data, without the dispatcher: the message is queued again, no try counted.
    t = await startGateway(
      `channels:
  sms:
    type: webhook
    url: http://127.0.0.1:9/never
    secret: relay-secret
    address: phone
`,
      { dir: first.dir },
    )
    const m = (await t.call('GET', `/v1/messages/${id}`)).body
    expect(m.attempts).toBe(0)
    expect(m.error).toBeNull()
    expect(await t.gw.store.outbox.depth()).toBe(1)
  })
})
