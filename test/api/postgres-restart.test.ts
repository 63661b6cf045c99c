/**
 * PostgreSQL stopped under a running daemon (issue 13, DESIGN §10): while it is down every store
 * call answers 503 `store_unavailable` (a `busy` store fault: never a 500, never a hang) and
 * `/healthz` still answers; once it is back the daemon takes requests again by itself, and what
 * was accepted before is all there. A cluster of this file's own: the shared one keeps running.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/harness.js'
import {
  onServer,
  startPgCluster,
  testStoreDialect,
  withDatabase,
  type PgCluster,
} from '../helpers/postgres.js'

let t: TestGateway | undefined
let cluster: PgCluster | undefined
afterEach(async () => {
  await t?.close()
  await cluster?.stop()
  t = cluster = undefined
})

let n = 0
const contact = () =>
  (t as TestGateway).call('POST', '/v1/contacts', { body: { first_name: `P${++n}` } })

describe.runIf(testStoreDialect() === 'postgres')(
  'PostgreSQL stopped under a running daemon',
  () => {
    it('answers 503 store_unavailable while it is down, and works again by itself', async () => {
      cluster = await startPgCluster()
      await onServer(cluster.url, (c) => c.query('CREATE DATABASE omnigate'))
      t = await startGateway('', { postgresUrl: withDatabase(cluster.url, 'omnigate') })
      const before = await contact()
      expect(before.status).toBe(201)

      await cluster.restart(async () => {
        for (const r of [
          await contact(),
          await (t as TestGateway).call('GET', `/v1/contacts/${before.body.id as string}`),
          await (t as TestGateway).call('GET', '/v1/contacts?q=p1'),
        ]) {
          expect(r.status).toBe(503)
          expect(r.body.error.code).toBe('store_unavailable')
          expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
        }
        expect((await (t as TestGateway).call('GET', '/healthz', { key: null })).status).toBe(200)
      })

      // Back: the pool reconnects on its own; no restart of the daemon, no request needed first.
      await expect.poll(async () => (await contact()).status, { timeout: 10_000 }).toBe(201)
      const again = await t.call('GET', `/v1/contacts/${before.body.id as string}`)
      expect(again.status).toBe(200)
      expect(again.body.first_name).toBe(before.body.first_name)
    })
  },
)
