/**
 * `/healthz` (liveness) and `/readyz` (readiness) through the real app, and the loop metrics.
 * The readiness clock is moved instead of waiting 30 s; the faults that make a loop stall for
 * real are in test/reliability/loops.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/harness.js'
import { testStoreDialect } from '../helpers/postgres.js'

// A daemon on PostgreSQL also keeps its cluster locks (scheduler, stateful channels) in a loop.
const LOOPS = [
  'automations',
  'bulk',
  ...(testStoreDialect() === 'postgres' ? ['cluster'] : []),
  'outbox',
  'snooze',
  'watchdog',
  'webchat-fallback',
  'webhooks',
]

let t: TestGateway
let offset = 0
afterEach(async () => {
  await t.close()
  offset = 0
})

const start = async () => {
  t = await startGateway('', { dispatcher: true, healthClock: () => Date.now() + offset })
  // Every loop has completed its first tick.
  await expect
    .poll(() => t.gw.svc.health.loops().filter((l) => l.lastGoodTickAgeSeconds < 5).length)
    .toBe(LOOPS.length)
}

async function metricLines(prefix: string): Promise<string[]> {
  const text = (await t.call('GET', '/metrics', { key: null })).text
  return text.split('\n').filter((l) => l.startsWith(prefix))
}

describe('GET /readyz', () => {
  it('is 200 ready, without a key, while every loop ticks and nothing is wrong', async () => {
    await start()
    const r = await t.call('GET', '/readyz', { key: null })
    expect(r).toMatchObject({ status: 200, body: { status: 'ready' } })
    expect(
      t.gw.svc.health
        .loops()
        .map((l) => l.name)
        .sort(),
    ).toEqual(LOOPS)
  })

  it('is 503 naming a standing problem (no detail), and 200 once it is cleared', async () => {
    await start()
    t.gw.svc.health.set('store', 'disk_full', 'SQLITE_FULL: /var/lib/omnigate/omnigate.db')
    const r = await t.call('GET', '/readyz', { key: null })
    expect(r.status).toBe(503)
    expect(r.body).toEqual({
      status: 'unready',
      problems: [{ component: 'store', code: 'disk_full', since: expect.any(String) }],
    })
    expect(r.text).not.toContain('/var/lib')
    // Liveness does not care: the process runs and would only be restarted for nothing.
    expect((await t.call('GET', '/healthz', { key: null })).status).toBe(200)
    t.gw.svc.health.clear('store')
    expect((await t.call('GET', '/readyz', { key: null })).status).toBe(200)
  })

  it('names a loop with no good tick in 30 s (one stuck in its tick), until it is gone', async () => {
    await start()
    t.gw.svc.health.register('stuck') // registered, never completes a tick
    offset = 31_000
    const r = await t.call('GET', '/readyz', { key: null })
    expect(r.status).toBe(503)
    expect(r.body.problems).toContainEqual({
      component: 'stuck',
      code: 'loop_stalled',
      since: expect.any(String),
    })
    expect(await metricLines('omnigate_ready ')).toEqual(['omnigate_ready 0'])
    t.gw.svc.health.unregister('stuck')
    offset = 0
    expect((await t.call('GET', '/readyz', { key: null })).status).toBe(200)
    expect(await metricLines('omnigate_ready ')).toEqual(['omnigate_ready 1'])
  })
})

describe('loop metrics', () => {
  it('exports the age of each loop’s last good tick, its errors and readiness', async () => {
    await start()
    const ages = await metricLines('omnigate_loop_last_tick_age_seconds{')
    expect(ages.map((l) => /loop="([^"]+)"/.exec(l)?.[1]).sort()).toEqual(LOOPS)
    for (const l of ages) expect(Number(l.split(' ').at(-1))).toBeLessThan(30)
    const errors = await metricLines('omnigate_loop_errors_total{')
    expect(errors.sort()).toEqual(LOOPS.map((n) => `omnigate_loop_errors_total{loop="${n}"} 0`))
    expect(await metricLines('omnigate_ready ')).toEqual(['omnigate_ready 1'])
    t.gw.svc.health.error('webhooks')
    expect(await metricLines('omnigate_loop_errors_total{loop="webhooks"}')).toEqual([
      'omnigate_loop_errors_total{loop="webhooks"} 1',
    ])
  })
})
