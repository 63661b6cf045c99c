/**
 * A database locked by another process (an `omnigate backup`, a sqlite3 shell holding `BEGIN
 * EXCLUSIVE`) must not freeze the daemon: better-sqlite3 waits for a lock synchronously, so the
 * busy timeout is short and the writers that matter retry without blocking. During the lock
 * `/healthz` answers at once, a send answers 202 or 503 `store_unavailable` (never 500, never
 * hanging); after it every accepted message is delivered and no job is left `sending`.
 */
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'
import { testStoreDialect } from '../helpers/postgres.js'

// SQLite only: locks the SQLite file from another connection.
const onSqlite = testStoreDialect() === 'sqlite'

/** What a careful client waits for an answer (a correctness bound, not a speed target). */
const CLIENT_TIMEOUT_MS = 2000
/** Long enough that a send gives up waiting (1 s) and a lease (1 s) runs out during it. */
const LOCK_MS = 3000

let relay: WebhookReceiver
let t: TestGateway

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
  t = await startGateway(
    `dispatcher:
  lease: 1s
  backoff_base: 50ms
  backoff_max: 200ms
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
    rules:
      rate: { per_second: 1000, per_recipient_per_second: 100 }
`,
    { dispatcher: true },
  )
})
afterEach(async () => {
  await t.close()
  await relay.close()
})

/** Another connection to the file holds the write lock until `release()`. */
function lockDatabase(file: string): { release(): void } {
  const other = new Database(file)
  other.exec('BEGIN EXCLUSIVE')
  return {
    release() {
      if (other.inTransaction) other.exec('ROLLBACK')
      other.close()
    },
  }
}

let n = 0
const address = () => `+4917012${String(++n).padStart(5, '0')}`

async function timed(call: () => ReturnType<TestGateway['call']>) {
  const started = Date.now()
  const res = await call()
  return { ...res, tookMs: Date.now() - started }
}

const send = () =>
  timed(() =>
    t.call('POST', '/v1/messages', {
      body: { to: { channel: 'sms', address: address() }, text: 'hello' },
    }),
  )

const statusOf = async (id: string) =>
  (await t.call('GET', `/v1/messages/${id}`)).body.status as string

describe.runIf(onSqlite)('a database locked by another process', () => {
  it('keeps /healthz answering, sends 202 or 503 store_unavailable, and delivers every 202 after', async () => {
    const lock = lockDatabase(t.db)
    const lockedUntil = Date.now() + LOCK_MS
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        lock.release()
        resolve()
      }, LOCK_MS),
    )
    const health: Awaited<ReturnType<typeof timed>>[] = []
    const sends: Promise<Awaited<ReturnType<typeof send>>>[] = []
    while (Date.now() < lockedUntil - 200) {
      health.push(await timed(() => t.call('GET', '/healthz', { key: null })))
      sends.push(send())
      await new Promise((r) => setTimeout(r, 150))
    }
    const during = await Promise.all(sends)
    await released

    expect(health.length).toBeGreaterThan(5)
    for (const h of health) {
      expect(h.status).toBe(200)
      expect(h.tookMs).toBeLessThan(CLIENT_TIMEOUT_MS)
    }
    for (const s of during) {
      expect([202, 503]).toContain(s.status)
      expect(s.tookMs).toBeLessThan(CLIENT_TIMEOUT_MS)
      if (s.status === 503) {
        expect(s.body.error.code).toBe('store_unavailable')
        expect(s.body.error.details).toEqual({ kind: 'busy' })
        expect(Number(s.headers.get('retry-after'))).toBeGreaterThan(0)
      }
    }
    // Sends made in the last second before the release waited it out and were accepted.
    expect(during.filter((s) => s.status === 503).length).toBeGreaterThan(0)
    expect(during.filter((s) => s.status === 202).length).toBeGreaterThan(0)
    expect(t.gw.svc.health.problems().map((p) => p.code)).toContain('store_unwritable')
    const metrics = (await t.call('GET', '/metrics', { key: null })).text
    expect(metrics).toMatch(/omnigate_store_errors_total\{kind="busy"\} [1-9]/)

    // Released: sends are accepted again, every 202 goes out, the problem clears by itself.
    const after = await send()
    expect(after.status).toBe(202)
    const accepted = [...during.filter((s) => s.status === 202), after].map((s) => s.body.id)
    await relay.waitFor((r) => accepted.every((id) => r.countByKey.has(id)), 10_000)
    for (const id of accepted) await expect.poll(() => statusOf(id), { timeout: 5000 }).toBe('sent')
    await expect
      .poll(() => t.gw.svc.health.problems().filter((p) => p.component === 'store'), {
        timeout: 5000,
      })
      .toEqual([])
  })

  it('records the outcomes of sends in flight when the lock came, once it is gone: none stays sending', async () => {
    // The relay answers late enough that the lock is taken before the first answer arrives.
    relay.setAnswer(() => ({ kind: 'slow', delayMs: 1500 }))
    const sent = await Promise.all(Array.from({ length: 5 }, () => send()))
    expect(sent.map((s) => s.status)).toEqual([202, 202, 202, 202, 202])
    const ids = sent.map((s) => s.body.id as string)
    await relay.waitFor((r) => r.total() >= 5)
    const lock = lockDatabase(t.db)
    // The answers arrive while the lock is held: the outcomes cannot be written; the leases
    // (1 s) run out meanwhile.
    await relay.waitFor((r) => r.received.filter((x) => x.outcome === 'ok').length >= 5, 8000)
    await new Promise((r) => setTimeout(r, 800))
    for (const id of ids) expect(await statusOf(id)).toBe('sending')
    lock.release()
    for (const id of ids) await expect.poll(() => statusOf(id), { timeout: 8000 }).toBe('sent')
    const db = new Database(t.db, { readonly: true })
    try {
      expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 })
    } finally {
      db.close()
    }
  })
})
