/**
 * Poison rows (a JSON column damaged on disk or by hand) are taken out of the work, never retried
 * forever, and never stop a loop: a message fails with `corrupt_record` and the next one is sent;
 * a bulk ends `failed` and another one finishes; an app-webhook delivery is dropped and the next
 * one delivered. The API shows what can still be read. Damage is done with raw SQL through a
 * second connection to the store's file, as it would happen.
 */
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { newId } from '../../src/gateway/ids.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'
import { testStoreDialect } from '../helpers/postgres.js'

// SQLite only: damages rows with raw SQLite writes (PostgreSQL's json columns refuse them).
const onSqlite = testStoreDialect() === 'sqlite'

let relay: WebhookReceiver
let events: WebhookReceiver
let t: TestGateway

const config = () => `dispatcher:
  backoff_base: 50ms
  backoff_max: 200ms
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: sms-secret
    address: phone
webhooks:
  - url: ${events.url}
    secret: events-secret
    events: [message.status, bulk.done]
`

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: 'sms-secret' })
  events = await startWebhookReceiver({ secret: 'events-secret' })
})
afterEach(async () => {
  await t.close()
  await relay.close()
  await events.close()
})

/** Raw SQL on the gateway's SQLite file through a second connection; returns rows changed. */
function damage(sql: string, ...params: unknown[]): number {
  const db = new Database(t.db)
  try {
    return db.prepare(sql).run(...params).changes
  } finally {
    db.close()
  }
}

async function send(address: string, text: string): Promise<Record<string, any>> {
  const r = await t.call('POST', '/v1/messages', {
    key: KEYS.shop,
    body: { to: { channel: 'sms', address }, text },
  })
  expect(r.status).toBe(202)
  return r.body as Record<string, any>
}

const message = async (id: string) => t.call('GET', `/v1/messages/${id}`)

async function metric(line: string): Promise<number | null> {
  const text = (await t.call('GET', '/metrics', { key: null })).text
  const found = text.split('\n').find((l) => l.startsWith(line))
  return found === undefined ? null : Number(found.split(' ').at(-1))
}

const eventsOf = (type: string) =>
  events.received
    .map((r) => r.json as { type: string; data: Record<string, any> })
    .filter((e) => e.type === type)

describe.runIf(onSqlite)('a message whose row cannot be read', () => {
  it('fails with corrupt_record (job removed, counted); the next message is still sent', async () => {
    t = await startGateway(config(), { dispatcher: false })
    const bad = await send('+491701000001', 'first')
    const good = await send('+491701000002', 'second')
    damage(`UPDATE messages SET email = '{not json', template = '{not json' WHERE id = ?`, bad.id)

    // Readable before the dispatcher gets to it: what can be read, and which columns cannot.
    const before = await message(bad.id)
    expect(before.status).toBe(200)
    expect(before.body).toMatchObject({ id: bad.id, status: 'queued', text: 'first', email: null })
    expect(before.body.unreadable.sort()).toEqual(['email', 'template'])
    // Its thread still lists.
    const listed = await t.call('GET', `/v1/threads/${bad.thread_id}/messages`)
    expect(listed.status).toBe(200)
    expect(listed.body.items.map((m: any) => m.id)).toEqual([bad.id])

    t.gw.outbox.start()
    await expect.poll(async () => (await message(good.id)).body.status).toBe('sent')
    await expect.poll(async () => (await message(bad.id)).body.status).toBe('failed')
    const after = await message(bad.id)
    expect(after.status).toBe(200)
    expect(after.body).toMatchObject({
      status: 'failed',
      error: { code: 'corrupt_record' },
      attempts: 1,
      unreadable: expect.any(Array),
    })
    expect(relay.received.map((r) => (r.json as { text: string }).text)).toEqual(['second'])
    expect(await t.gw.store.outbox.depth()).toBe(0)
    expect(await metric('omnigate_corrupt_records_total{kind="message"}')).toBe(1)
    expect(
      await metric('omnigate_messages_failed_total{channel="sms",code="corrupt_record"}'),
    ).toBe(1)
    // The app hears about it like any failure (queued; this gateway runs no webhook worker).
    const queued = (await t.gw.store.webhooks.lease(Date.now() + 1, 50, 60_000)).map(
      (d) => JSON.parse(d.payload) as { type: string; data: Record<string, any> },
    )
    expect(queued.find((e) => e.data.message_id === bad.id)?.data).toMatchObject({
      status: 'failed',
      error: { code: 'corrupt_record' },
    })
  })
})

/** `n` contacts with a phone, in one transaction; returns their ids. */
async function people(n: number, offset: number): Promise<string[]> {
  const { store } = t.gw
  const now = new Date().toISOString()
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const id = newId('ct')
    await store.contacts.create({ id, first_name: `P${i}`, phone: `+49171${offset + i}` }, [], now)
    ids.push(id)
  }
  return ids
}

describe.runIf(onSqlite)('a bulk whose row cannot be read', () => {
  it('ends failed with corrupt_record, and another bulk still finishes', async () => {
    t = await startGateway(config(), { dispatcher: false })
    t.gw.bulk.chunkSize = 5
    const bulk = async (contactIds: string[]) => {
      const r = await t.call('POST', '/v1/bulk', {
        key: KEYS.alice,
        body: { contact_ids: contactIds, channel: 'sms', text: 'Hi {{first_name}}' },
      })
      expect(r.status).toBe(202)
      return r.body.id as string
    }
    // The recipients first: the two bulks then start back to back and stop a few chunks in.
    const badIds = await people(40, 1_000_000)
    const goodIds = await people(40, 2_000_000)
    const bad = await bulk(badIds)
    const good = await bulk(goodIds)
    const dir = t.dir
    await t.stop() // half-way: both bulks are running with most recipients left
    damage(`UPDATE bulks SET spec = '{not json' WHERE id = ?`, bad)

    t = await startGateway(config(), { dispatcher: true, dir })
    const progress = async (id: string) => (await t.call('GET', `/v1/bulk/${id}`)).body
    await expect.poll(async () => (await progress(good)).status, { timeout: 10_000 }).toBe('done')
    expect(await progress(good)).toMatchObject({ checked: 40, eligible: 40, counts: { sent: 40 } })
    const failed = await t.call('GET', `/v1/bulk/${bad}`)
    expect(failed.status).toBe(200)
    expect(failed.body).toMatchObject({
      status: 'failed',
      error: { code: 'corrupt_record' },
      unreadable: ['spec'],
      finished_at: expect.any(String),
    })
    expect(failed.body.checked).toBeLessThan(40)
    // What it had enqueued before still went out; nothing more was.
    await expect
      .poll(async () => (await progress(bad)).counts.sent)
      .toBe(failed.body.eligible as number)
    expect(await metric('omnigate_corrupt_records_total{kind="bulk"}')).toBe(1)
    await events.waitFor(() => eventsOf('bulk.done').length === 2)
    expect(eventsOf('bulk.done').find((e) => e.data.bulk_id === bad)?.data).toMatchObject({
      status: 'failed',
      error: { code: 'corrupt_record' },
    })
    // A cancel of the failed bulk changes nothing.
    const c = await t.call('POST', `/v1/bulk/${bad}/cancel`)
    expect(c.body).toMatchObject({ status: 'failed' })
  })
})

describe.runIf(onSqlite)('an app-webhook delivery whose row cannot be read', () => {
  it('is dropped (counted), and the deliveries after it still go out', async () => {
    // dispatcher: false starts neither worker; the outbox alone fills the event queue.
    t = await startGateway(config(), { dispatcher: false })
    t.gw.outbox.start()
    const first = await send('+491701000003', 'one')
    await expect.poll(async () => (await message(first.id)).body.status).toBe('sent')
    const damaged = damage(`UPDATE webhook_outbox SET payload = '{not json'`)
    expect(damaged).toBeGreaterThan(0)
    const second = await send('+491701000004', 'two')
    await expect.poll(async () => (await message(second.id)).body.status).toBe('sent')
    // The same data with the webhook worker running.
    const dir = t.dir
    await t.stop()
    t = await startGateway(config(), { dispatcher: true, dir })
    await events.waitFor(() =>
      eventsOf('message.status').some((e) => e.data.message_id === second.id),
    )
    expect(eventsOf('message.status').some((e) => e.data.message_id === first.id)).toBe(false)
    expect(events.received.every((r) => r.json !== null)).toBe(true)
    expect(await metric('omnigate_corrupt_records_total{kind="webhook_delivery"}')).toBe(damaged)
    await expect.poll(() => t.gw.store.webhooks.depth()).toBe(0)
  })
})
