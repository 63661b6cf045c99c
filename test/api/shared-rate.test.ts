/**
 * Rate limits shared by several daemons on one PostgreSQL (DESIGN §10): three gateways on one
 * database send through one webhook channel, and the receiving end never sees more than the
 * channel's or a recipient's limit in any one-second window — the three together, not each. The
 * relay stamps arrivals in a process of its own, as in pacing.test.ts, with a core kept busy.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startArrivalRecorder, type ArrivalRecorder } from '../fakes/arrival-recorder.js'
import { startBusyCore, type BusyCore } from '../helpers/busy-core.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'
import {
  dropTestDatabase,
  ensureTestDatabase,
  testStoreDialect,
  uniqueDatabaseName,
} from '../helpers/postgres.js'

const PER_SECOND = 10
const PER_RECIPIENT = 2

let relay: ArrivalRecorder
let busy: BusyCore
let database: string
let daemons: TestGateway[] = []

const maxInAnySecond = (times: number[]): number =>
  Math.max(0, ...times.map((s) => times.filter((x) => x >= s && x < s + 1000).length))

describe.runIf(testStoreDialect() === 'postgres')('rate limits across daemons', () => {
  beforeEach(async () => {
    relay = await startArrivalRecorder()
    busy = startBusyCore()
    database = uniqueDatabaseName('shared_rate')
    const url = await ensureTestDatabase(database)
    // Two jobs a lease: the three daemons take turns at the backlog instead of one leasing it
    // all, so each of them sends at once — and each alone would send at the full rate.
    const yaml = `dispatcher: { batch: 2 }
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    rules:
      rate: { per_second: ${PER_SECOND}, per_recipient_per_second: ${PER_RECIPIENT} }
`
    // Dispatchers start once everything is queued, so all three compete for the same backlog.
    for (let i = 0; i < 3; i++) {
      daemons.push(await startGateway(yaml, { postgresUrl: url, dispatcher: false }))
    }
  })
  afterEach(async () => {
    for (const d of daemons) await d.close()
    daemons = []
    await dropTestDatabase(database)
    await busy.stop()
    await relay.close()
  })

  it('holds the channel’s and each recipient’s limit at the receiver for three daemons together', async () => {
    const [a] = daemons
    if (!a) throw new Error('no daemon')
    const sent: string[] = []
    const send = async (address: string) => {
      const r = await a.call('POST', '/v1/messages', {
        body: { to: { channel: 'sms', address }, text: `to ${address}` },
      })
      expect(r.status).toBe(202)
      sent.push(r.body.id as string)
    }
    // One person gets six (3 s of their limit), twelve others two each: 30 sends, 3 s of the
    // channel's limit — each daemon alone would send them at the full rate.
    for (let i = 0; i < 6; i++) await send('hot')
    for (let round = 0; round < 2; round++) for (let i = 0; i < 12; i++) await send(`other-${i}`)
    for (const d of daemons) d.gw.outbox.start()

    await expect
      .poll(async () => (await relay.arrivals()).length, { timeout: 40_000, interval: 200 })
      .toBeGreaterThanOrEqual(sent.length)
    const got = await relay.arrivals()
    // Every message delivered, each once.
    expect(got.map((r) => r.key).sort()).toEqual([...sent].sort())
    expect(maxInAnySecond(got.map((r) => r.at))).toBeLessThanOrEqual(PER_SECOND)
    const addresses = new Set(got.map((r) => r.address))
    for (const address of addresses) {
      const times = got.filter((r) => r.address === address).map((r) => r.at)
      expect(maxInAnySecond(times)).toBeLessThanOrEqual(PER_RECIPIENT)
    }
    // The three shared the work: a daemon that sent nothing would prove nothing.
    const sentBy = await Promise.all(
      daemons.map(async (d) => (await d.call('GET', '/metrics')).text),
    )
    expect(
      sentBy.filter((m) => /omnigate_messages_sent_total\{[^}]*\} [1-9]/.test(m)),
    ).toHaveLength(3)
  }, 60_000)
})
