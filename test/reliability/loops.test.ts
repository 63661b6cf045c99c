/**
 * Loops survive faults (DESIGN §6, §9): a second connection holds `BEGIN EXCLUSIVE` on the
 * daemon's SQLite file, so every write of the in-process gateway fails with SQLITE_BUSY once
 * its busy timeout runs out — as when another process holds the file. The app-webhook loop logs
 * and counts the error, backs off and goes on; `/readyz` names it while it cannot tick for 30 s
 * (the readiness clock is moved, not waited for) and is ready again once it ticks; everything
 * queued before and after the fault is delivered. Nothing here is mocked.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { startLoggedGateway, type LoggedGateway } from './helpers/gateway.js'
import { logDir, registerSecrets } from './helpers/logs.js'

const RELAY_SECRET = `loops-relay-${randomBytes(12).toString('hex')}`
const EVENTS_SECRET = `loops-events-${randomBytes(12).toString('hex')}`
const LOG = 'loops-gateway'

let relay: WebhookReceiver
let events: WebhookReceiver
let t: LoggedGateway
/** How far the readiness clock is ahead of the wall clock (ms). */
let ahead = 0

beforeAll(async () => {
  registerSecrets('loops', [RELAY_SECRET, EVENTS_SECRET])
  relay = await startWebhookReceiver({ secret: RELAY_SECRET })
  events = await startWebhookReceiver({ secret: EVENTS_SECRET })
  t = await startLoggedGateway(
    `channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: ${RELAY_SECRET}
    address: phone
webhooks:
  - url: ${events.url}
    secret: ${EVENTS_SECRET}
    events: [message.status]
`,
    { log: LOG, dispatcher: true, healthClock: () => Date.now() + ahead },
  )
})

afterAll(async () => {
  await t?.close()
  await relay?.close()
  await events?.close()
})

async function send(address: string, text: string): Promise<string> {
  const r = await t.call('POST', '/v1/messages', {
    body: { to: { channel: 'sms', address }, text },
  })
  expect(r.status).toBe(202)
  return r.body.id as string
}

const sentEventFor = (id: string) =>
  events.received.some((r) => {
    const e = r.json as { type: string; data: { message_id: string; status: string } }
    return e.type === 'message.status' && e.data.message_id === id && e.data.status === 'sent'
  })

const loopErrors = (name: string) =>
  t.gw.svc.health.loops().find((l) => l.name === name)?.errors ?? 0

async function metric(line: string): Promise<string | undefined> {
  const text = (await t.call('GET', '/metrics', { key: null })).text
  return text.split('\n').find((l) => l.startsWith(line))
}

describe('a database error in the app-webhook loop', () => {
  it('is logged, counted and backed off; /readyz names the loop until it ticks; all is delivered', async () => {
    const before = await send('+491702000001', 'before the fault')
    await events.waitFor(() => sentEventFor(before), 15_000)
    expect(await metric('omnigate_ready ')).toBe('omnigate_ready 1')

    const lock = new Database(t.db)
    lock.exec('BEGIN EXCLUSIVE')
    try {
      await expect
        .poll(() => loopErrors('webhooks'), { timeout: 60_000, interval: 50 })
        .toBeGreaterThan(0)
      // It cannot tick: once 30 s have passed on the readiness clock, it is named.
      ahead = 31_000
      const r = await t.call('GET', '/readyz', { key: null })
      expect(r.status).toBe(503)
      expect(r.body.status).toBe('unready')
      expect(r.body.problems).toContainEqual({
        component: 'webhooks',
        code: 'loop_stalled',
        since: expect.any(String),
      })
      expect(await metric('omnigate_ready ')).toBe('omnigate_ready 0')
      const errors = await metric('omnigate_loop_errors_total{loop="webhooks"}')
      expect(Number(errors?.split(' ').at(-1))).toBeGreaterThan(0)
      // Liveness is not readiness: the process is fine, a restart would not help.
      expect((await t.call('GET', '/healthz', { key: null })).status).toBe(200)
    } finally {
      lock.exec('COMMIT')
      lock.close()
    }

    const after = await send('+491702000002', 'after the fault')
    await events.waitFor(() => sentEventFor(after), 60_000)
    expect(relay.received.map((r) => (r.json as { text: string }).text)).toEqual([
      'before the fault',
      'after the fault',
    ])
    // Every loop ticks again (the watchdog on its next heartbeat, within 10 s).
    await expect
      .poll(async () => (await t.call('GET', '/readyz', { key: null })).status, {
        timeout: 30_000,
        interval: 250,
      })
      .toBe(200)

    const lines = readFileSync(join(logDir(), `${LOG}.log`), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Record<string, any>)
    const failed = lines.filter((l) => l.loop === 'webhooks' && l.level === 50)
    expect(failed.length).toBeGreaterThan(0)
    expect(failed[0]).toMatchObject({
      component: 'webhooks',
      msg: 'loop tick failed; trying again after a pause',
      err: { message: expect.stringMatching(/locked|busy/i) },
    })
    expect(lines.some((l) => l.loop === 'webhooks' && l.msg === 'loop recovered')).toBe(true)
    expect(lines.some((l) => /crashed/.test(String(l.msg)))).toBe(false)
  })
})
