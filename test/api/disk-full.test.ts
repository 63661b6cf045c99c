/**
 * A full disk, played by SQLite's own limit (`PRAGMA max_page_count` capped on the daemon's
 * connection; raised again = space freed). Sends answer 503 `store_unavailable` (not 500: nothing
 * was stored), `/readyz`'s problems name `disk_full`, and once space is freed the daemon recovers
 * by itself — no restart: the problem clears, sends are accepted, every 202 is delivered and the
 * database is sound.
 */
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SqliteDatabase } from '../../src/store/sqlite/sqlite-database.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'
import { testStoreDialect } from '../helpers/postgres.js'

// SQLite only: plays a full disk on the SQLite file (max_page_count).
const onSqlite = testStoreDialect() === 'sqlite'

/** Text big enough that each send needs pages of its own (overflow pages), never leftovers. */
const BIG_TEXT = 'x'.repeat(20_000)

let relay: WebhookReceiver
let t: TestGateway
let db: SqliteDatabase

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
  t = await startGateway(
    `dispatcher:
  lease: 1s
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
    rules:
      rate: { per_second: 1000, per_recipient_per_second: 100 }
`,
    { dispatcher: true, onStoreOpen: (d) => (db = d) },
  )
})
afterEach(async () => {
  await t.close()
  await relay.close()
})

let n = 0
const send = (text = BIG_TEXT) =>
  t.call('POST', '/v1/messages', {
    body: { to: { channel: 'sms', address: `+4917013${String(++n).padStart(5, '0')}` }, text },
  })

/** Takes every page left, free ones included: from now on any write needing a page fails. */
function fillDisk(): void {
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`)
  try {
    db.exec('CREATE TABLE IF NOT EXISTS test_filler (x)')
    const fill = db.prepare('INSERT INTO test_filler VALUES (zeroblob(1000))')
    for (;;) fill.run()
  } catch (err) {
    expect((err as { code?: string }).code).toBe('SQLITE_FULL')
  }
}

const storeProblems = () =>
  t.gw.svc.health
    .problems()
    .filter((p) => p.component === 'store')
    .map((p) => p.code)

describe.runIf(onSqlite)('a full disk', () => {
  it('answers 503 store_unavailable, reports disk_full, and recovers by itself once space is freed', async () => {
    const accepted: string[] = []
    const first = await send()
    expect(first.status).toBe(202)
    accepted.push(first.body.id)

    // The disk fills up: a few more sends fit, then none does.
    db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 20}`)
    let refused: Awaited<ReturnType<typeof send>> | null = null
    for (let i = 0; i < 50 && !refused; i++) {
      const r = await send()
      if (r.status === 202) accepted.push(r.body.id)
      else refused = r
    }
    expect(refused?.status).toBe(503)
    expect(refused?.body.error.code).toBe('store_unavailable')
    expect(refused?.body.error.details).toEqual({ kind: 'full' })
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0)
    for (let i = 0; i < 3; i++) expect((await send()).status).toBe(503)
    expect(storeProblems()).toEqual(['disk_full'])
    expect((await t.call('GET', '/healthz', { key: null })).status).toBe(200)
    const metrics = (await t.call('GET', '/metrics', { key: null })).text
    expect(metrics).toMatch(/omnigate_store_errors_total\{kind="full"\} [1-9]/)
    // Still full a probe later: the problem stands.
    await new Promise((r) => setTimeout(r, 2500))
    expect(storeProblems()).toEqual(['disk_full'])

    // Space is freed: the daemon notices by itself (no request needed) and takes sends again.
    db.pragma('max_page_count = 1073741823')
    await expect.poll(storeProblems, { timeout: 5000 }).toEqual([])
    const after = await send('after the disk was full')
    expect(after.status).toBe(202)
    accepted.push(after.body.id)

    await relay.waitFor((r) => accepted.every((id) => r.countByKey.has(id)), 10_000)
    for (const id of accepted) {
      await expect
        .poll(async () => (await t.call('GET', `/v1/messages/${id}`)).body.status, {
          timeout: 5000,
        })
        .toBe('sent')
    }
    const check = new Database(t.db, { readonly: true })
    try {
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok')
      // Every message the API refused left nothing behind: one message per accepted send.
      expect(check.prepare('SELECT count(*) AS n FROM messages').get()).toEqual({
        n: accepted.length,
      })
    } finally {
      check.close()
    }
  })

  it('sends whose outcome could not be recorded come back after their lease and end sent, none left sending', async () => {
    // The relay's answer needs room to be recorded (a long platform id: we keep 16 KB of an
    // answer), and it comes late.
    const platformMessageId = 'p'.repeat(12_000)
    relay.setAnswer(() => ({ kind: 'slow', delayMs: 300, then: { kind: 'ok', platformMessageId } }))
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const r = await send('short')
      expect(r.status).toBe(202)
      ids.push(r.body.id)
    }
    await relay.waitFor((r) => r.total() >= 3)
    fillDisk()
    // The answers arrive, their outcomes cannot be written; the leases (1 s) run out meanwhile.
    await expect.poll(storeProblems, { timeout: 3000 }).toEqual(['disk_full'])
    await new Promise((r) => setTimeout(r, 1500))
    const statuses = await Promise.all(
      ids.map(async (id) => (await t.call('GET', `/v1/messages/${id}`)).body.status),
    )
    expect(statuses).toEqual(['sending', 'sending', 'sending'])
    // Their leases ran out: the jobs came due and were sent again (same Idempotency-Key).
    await relay.waitFor((r) => ids.every((id) => (r.countByKey.get(id) ?? 0) >= 2), 5000)

    db.pragma('max_page_count = 1073741823')
    for (const id of ids) {
      await expect
        .poll(async () => (await t.call('GET', `/v1/messages/${id}`)).body.status, {
          timeout: 5000,
        })
        .toBe('sent')
    }
    await expect.poll(storeProblems, { timeout: 5000 }).toEqual([])
    const check = new Database(t.db, { readonly: true })
    try {
      expect(check.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 })
    } finally {
      check.close()
    }
  })
})
