/**
 * `omnigate copy` (DESIGN §10 "moving up"): a SQLite deployment built through the API is carried
 * to PostgreSQL and a gateway on the copy answers as the old one did — search, timeline, an
 * attachment, an idempotent replay, a job left queued delivered; a copy cut between two batches
 * resumes to the same counts; bad input is refused with a clear message and never the password.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { main } from '../../src/main.js'
import { copySqliteToPostgres, type CopyReport } from '../../src/store/copy/index.js'
import { COPY_TABLES } from '../../src/store/copy/tables.js'
import { migrate } from '../../src/store/sqlite/migrate.js'
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/sqlite/migrations/index.js'
import { openDatabase } from '../../src/store/sqlite/open-database.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'
import {
  createTestDatabase,
  dropTestDatabase,
  testStoreDialect,
  uniqueDatabaseName,
} from '../helpers/postgres.js'

const config = (relay: string, events: string) => `server:
  public_url: http://127.0.0.1:9
channels:
  sms:
    type: webhook
    url: ${relay}
    secret: sms-secret
    address: phone
webhooks:
  - url: ${events}
    secret: events-secret
    events: [thread.opened, message.status]
`

/** Runs the CLI; what it printed and its exit code. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const o = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((s) => ((stdout += String(s)), true))
  const e = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((s) => ((stderr += String(s)), true))
  try {
    return { code: await main(args), stdout, stderr }
  } finally {
    o.mockRestore()
    e.mockRestore()
  }
}

describe('omnigate copy: bad input', () => {
  it('an unreachable URL: a clear error naming it without its password, exit ≠ 0', async () => {
    const src = await startGateway('', { dialect: 'sqlite' })
    try {
      await src.stop()
      const url = 'postgres://omni:s3cr3t-pw@127.0.0.1:1/omnigate'
      const r = await cli(['copy', '--from', src.db, '--to', url])
      expect(r.code).not.toBe(0)
      expect(r.stderr).toContain('postgres://omni:***@127.0.0.1:1/omnigate')
      expect(r.stderr).toMatch(/cannot connect/)
      expect(r.stdout + r.stderr).not.toContain('s3cr3t-pw')
    } finally {
      await src.close()
    }
  })

  it('a missing source file: refused, exit ≠ 0, nothing created', async () => {
    const missing = join('/tmp', `omnigate-missing-${process.pid}.db`)
    const r = await cli(['copy', '--from', missing, '--to', 'postgres://u:pw@127.0.0.1:1/x'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(`${missing} does not exist`)
    expect(existsSync(missing)).toBe(false)
    expect((await cli(['copy', '--to', 'postgres://x@y/z'])).code).toBe(2)
  })
})

describe('omnigate copy: what it carries', () => {
  it('lists every table of the SQLite schema but the ones rebuilt or kept per store', async () => {
    const src = await startGateway('', { dialect: 'sqlite' })
    try {
      await src.stop()
      const db = openDatabase(src.db, { readonly: true })
      const tables = (
        db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as {
          name: string
        }[]
      ).map((r) => r.name)
      db.close()
      // Rebuilt on PostgreSQL (search), the migration record, SQLite's own, and rate slots (a
      // PostgreSQL table: SQLite's one daemon paces in memory, so it is always empty).
      const notCarried = /^(contacts_fts.*|schema_migrations|sqlite_sequence|rate_slots)$/
      const carried = new Set(COPY_TABLES.map((t) => t.name))
      expect(tables.filter((n) => !notCarried.test(n) && !carried.has(n))).toEqual([])
    } finally {
      await src.close()
    }
  })
})

describe('omnigate copy: every column', () => {
  it('carries every column of each table it copies (a new migration’s column too)', async () => {
    const src = await startGateway('', { dialect: 'sqlite' })
    try {
      await src.stop()
      const db = openDatabase(src.db, { readonly: true })
      const missing = COPY_TABLES.flatMap((t) => {
        const cols = (db.prepare(`PRAGMA table_info("${t.name}")`).all() as { name: string }[])
          .map((c) => c.name)
          // SQLite's own row numbers where the table copies them under another name (`from`).
          .filter((c) => !Object.values(t.from ?? {}).includes(c))
        return cols.filter((c) => !t.columns.includes(c)).map((c) => `${t.name}.${c}`)
      })
      db.close()
      expect(missing).toEqual([])
    } finally {
      await src.close()
    }
  })
})

describe.runIf(testStoreDialect() === 'postgres')('omnigate copy: SQLite → PostgreSQL', () => {
  let relay: WebhookReceiver | undefined
  let events: WebhookReceiver | undefined
  let src: TestGateway | undefined
  let dst: TestGateway | undefined
  const databases: string[] = []
  afterEach(async () => {
    await dst?.close()
    await src?.close()
    await relay?.close()
    await events?.close()
    for (const d of databases.splice(0)) await dropTestDatabase(d)
    src = dst = relay = events = undefined
  })

  /** A SQLite deployment with some of everything, made through the API; stopped. */
  async function buildSource() {
    relay = await startWebhookReceiver({ secret: 'sms-secret' })
    events = await startWebhookReceiver({ secret: 'events-secret' })
    src = await startGateway(config(relay.url, events.url), { dialect: 'sqlite' })
    const s = src
    const ana = await s.call('POST', '/v1/contacts', {
      body: {
        first_name: 'Anaïs',
        last_name: 'Moreau',
        email: 'ana.moreau@example.com',
        phone: '+49 170 1112233',
      },
    })
    expect(ana.status).toBe(201)
    // A duplicate merged into Ana (DESIGN §15): its row, merged_into and Ana's search carry over.
    const dup = await s.call('POST', '/v1/contacts', {
      body: { first_name: 'Dupont', email: 'dup.moreau@work.example' },
    })
    const into = `/v1/contacts/${ana.body.id as string}/merge`
    expect((await s.call('POST', into, { body: { from: [dup.body.id] } })).status).toBe(200)
    for (let i = 0; i < 7; i++) {
      const r = await s.call('POST', '/v1/contacts', {
        body: { first_name: `Person${i}`, last_name: 'Filler', phone: `+4917020000${i}` },
      })
      expect(r.status).toBe(201)
    }
    const headers = { 'idempotency-key': 'order-42' }
    const body = {
      contact_id: ana.body.id,
      channel: 'sms',
      text: 'your invoice',
      attachments: [
        {
          filename: 'invoice.txt',
          content_type: 'text/plain',
          data: Buffer.from('INVOICE 42').toString('base64'),
        },
      ],
    }
    const sent = await s.call('POST', '/v1/messages', { key: KEYS.alice, body, headers })
    expect(sent.status).toBe(202)
    const th = sent.body.thread_id as string
    expect(
      (await s.call('PUT', `/v1/threads/${th}/tags`, { body: { tags: ['vip'] } })).status,
    ).toBe(200)
    const bulk = await s.call('POST', '/v1/bulk', {
      body: { filter: { q: 'filler' }, channel: 'sms', text: 'Hi {{first_name}}' },
    })
    expect(bulk.status).toBe(202)
    await expect
      .poll(async () => (await s.call('GET', `/v1/bulk/${bulk.body.id}`)).body.checked)
      .toBe(7)
    await s.stop()
    return {
      ana: ana.body.id as string,
      dup: dup.body.id as string,
      sent,
      body,
      headers,
      thread: th,
    }
  }

  const copyInto = async (
    url: string,
    extra: Partial<Parameters<typeof copySqliteToPostgres>[0]> = {},
  ): Promise<CopyReport> =>
    copySqliteToPostgres({ from: (src as TestGateway).db, to: url, ...extra })

  const newDatabase = async (): Promise<string> => {
    const name = uniqueDatabaseName('copy')
    databases.push(name)
    // An empty database: copy migrates it itself.
    return createTestDatabase(name, { template: 'empty' })
  }

  it('carries everything; a gateway on the copy reads, replays and delivers as before', async () => {
    const made = await buildSource()
    const url = await newDatabase()
    const r = await cli(['copy', '--from', (src as TestGateway).db, '--to', url])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    for (const table of [
      'contacts',
      'messages',
      'attachments',
      'blobs',
      'outbox',
      'webhook_outbox',
      'bulks',
    ]) {
      const line = r.stdout.split('\n').find((l) => l.startsWith(`${table} `)) ?? ''
      const [, source, target] = line.trim().split(/\s+/)
      expect(Number(source), table).toBeGreaterThan(0)
      expect(target, table).toBe(source)
    }

    dst = await startGateway(
      config((relay as WebhookReceiver).url, (events as WebhookReceiver).url),
      {
        postgresUrl: url,
        dispatcher: true,
      },
    )
    const d = dst
    const moved = await d.call('GET', `/v1/contacts/${made.dup}`)
    expect([moved.status, moved.body]).toEqual([301, { merged_into: made.ana }])
    for (const q of ['anais', 'Moreau', 'ana.moreau@exa', '0170 111', '+49 170 111', 'Dupont']) {
      const found = await d.call('GET', `/v1/contacts?q=${encodeURIComponent(q)}`)
      expect(
        found.body.items.map((c: { id: string }) => c.id),
        q,
      ).toEqual([made.ana])
    }
    const timeline = await d.call('GET', `/v1/contacts/${made.ana}/timeline`)
    const items = timeline.body.items as {
      kind: string
      message?: { id: string; attachments: { id: string }[] }
    }[]
    const msg = items.find((i) => i.kind === 'message')?.message
    expect(msg?.id).toBe(made.sent.body.id)
    expect(items.some((i) => i.kind === 'event')).toBe(true)
    const att = await d.call('GET', `/v1/attachments/${msg?.attachments[0]?.id ?? ''}`)
    expect(att.status).toBe(200)
    expect(att.text).toBe('INVOICE 42')
    const again = await d.call('POST', '/v1/messages', {
      key: KEYS.alice,
      body: made.body,
      headers: made.headers,
    })
    expect(again.status).toBe(202)
    expect(again.body.id).toBe(made.sent.body.id)
    // The jobs left queued on SQLite go out from PostgreSQL (the single send and the bulk's 7).
    await expect.poll(() => (relay as WebhookReceiver).received.length, { timeout: 15_000 }).toBe(8)
    // The receiver has it; the outcome is committed right after the answer comes back.
    const status = async () =>
      (await d.call('GET', `/v1/messages/${made.sent.body.id as string}`)).body.status as string
    await expect.poll(status, { timeout: 15_000 }).toBe('sent')
    const thread = await d.call('GET', `/v1/threads/${made.thread}`)
    expect(thread.body.tags).toEqual(['vip'])
  })

  it('a copy cut between batches resumes to the same counts; a finished one is not redone', async () => {
    await buildSource()
    const whole = await copyInto(await newDatabase())
    const url = await newDatabase()
    let batches = 0
    await expect(
      copyInto(url, {
        batchSize: 2,
        onBatch: () => {
          if (++batches === 5) throw new Error('power cut')
        },
      }),
    ).rejects.toThrow('power cut')
    const resumed = await copyInto(url, { batchSize: 2 })
    expect(resumed.resumed).toBe(true)
    expect(resumed.tables).toEqual(whole.tables)
    expect(resumed.written).toBeLessThan(whole.written)
    const again = await copyInto(url)
    expect(again.written).toBe(0)
    expect(again.tables).toEqual(whole.tables)
  })

  it('refuses a target holding other data, and a source of another schema version', async () => {
    await buildSource()
    const url = await newDatabase()
    dst = await startGateway('', { postgresUrl: url })
    expect(
      (await dst.call('POST', '/v1/contacts', { body: { first_name: 'Already' } })).status,
    ).toBe(201)
    await expect(copyInto(url)).rejects.toThrow(/already holds data \(contacts\)/)

    // A file at an older schema (the first four migrations only).
    const old = join((src as TestGateway).dir, 'old.db')
    const db = openDatabase(old)
    migrate(db, MIGRATIONS.slice(0, 4), new Date().toISOString())
    db.close()
    const r = await cli(['copy', '--from', old, '--to', await newDatabase()])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`schema version 4, this omnigate at ${SCHEMA_VERSION}`)
  })
})
