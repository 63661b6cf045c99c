/**
 * Rows that cannot be read back (a JSON column damaged on disk or by hand): a message or a bulk
 * still reads, with the damaged columns named in `unreadable`, so one bad row neither hides its
 * neighbours nor stops a loop; a bulk can be failed; other damaged rows throw `CorruptRecord`
 * naming the row. Damage is done with raw SQL on a second connection, as it would happen.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, storeVersion } from '../index.js'
import { openTempStore, type TempStore } from '../test-fixtures.js'
import { CorruptRecord } from '../types.js'
import { testStoreDialect } from '../../../test/helpers/postgres.js'
import { migrate } from './migrate.js'
import { MIGRATIONS, SCHEMA_VERSION } from './migrations/index.js'
import { openDatabase } from './open-database.js'

// Damaged rows are written with raw SQLite; PostgreSQL's json columns refuse them on write.
const onSqlite = testStoreDialect() === 'sqlite'

let t: TempStore
beforeEach(async () => {
  t = await openTempStore()
})
afterEach(() => t.dispose())

/** Runs raw SQL on the store's file through a second connection. */
function damage(sql: string, ...params: unknown[]): void {
  const db = new Database(t.file)
  try {
    db.prepare(sql).run(...params)
  } finally {
    db.close()
  }
}

async function queued(): Promise<{ id: string; threadId: string }> {
  const contactId = (await t.fx.contact({})).id
  const o = await t.store.accept(t.fx.outPlan(contactId))
  if (!o.ok) throw new Error('accept failed')
  return { id: o.messageId, threadId: o.threadId }
}

async function newBulk(id: string, contactIds: string[]) {
  return await t.store.bulk.create(
    {
      id,
      channel: 'tg',
      author: { kind: 'agent', id: 'alice' },
      spec: { text: 'hi' },
      contactIds,
      next_due_at: 0,
    },
    t.fx.now(),
  )
}

describe.runIf(onSqlite)('a message row that cannot be read', () => {
  it('reads with the damaged columns null and named; its thread still lists', async () => {
    const sound = await queued()
    const bad = await queued()
    damage(`UPDATE messages SET email = '{not json', template = '[1]' WHERE id = ?`, bad.id)
    const m = await t.store.messages.get(bad.id)
    expect(m).toMatchObject({ id: bad.id, status: 'queued', email: null, template: null })
    expect(m?.unreadable?.sort()).toEqual(['email', 'template'])
    expect(await t.store.messages.get(sound.id)).not.toHaveProperty('unreadable')
    expect((await t.store.messages.listByThread(bad.threadId, 10)).items.map((x) => x.id)).toEqual([
      bad.id,
    ])
  })
})

describe.runIf(onSqlite)('a bulk row that cannot be read', () => {
  it('still lists beside the sound ones, and fails once with its error and event', async () => {
    const contacts = [(await t.fx.contact({})).id, (await t.fx.contact({})).id]
    await newBulk('bk_bad', contacts)
    await newBulk('bk_good', contacts)
    damage(`UPDATE bulks SET spec = '{not json' WHERE id = 'bk_bad'`)
    const listed = await t.store.bulk.listUnfinished()
    expect(listed.map((b) => [b.id, b.unreadable ?? null])).toEqual([
      ['bk_bad', ['spec']],
      ['bk_good', null],
    ])

    const error = { code: 'corrupt_record', message: 'the stored bulk cannot be read' }
    const failed = await t.store.bulk.fail('bk_bad', t.fx.now(), error, [
      {
        id: 'ev_1',
        type: 'bulk.done',
        created_at: '2025-01-01T00:00:00.000Z',
        data: {},
        targets: ['https://a.example'],
      },
    ])
    expect(failed).toMatchObject({ status: 'failed', error, finished_at: expect.any(String) })
    expect(await t.store.bulk.recipients('bk_bad', 0, 10)).toEqual([]) // snapshot dropped
    expect((await t.store.bulk.listUnfinished()).map((b) => b.id)).toEqual(['bk_good'])
    const deliveries = await t.store.webhooks.lease(Date.now(), 10, 1000)
    expect(deliveries.map((d) => d.eventId)).toEqual(['ev_1'])
    // Completed with the failed bulk's summary in the same transaction.
    expect(JSON.parse(deliveries[0]?.payload ?? '{}')).toMatchObject({
      data: { bulk_id: 'bk_bad', status: 'failed', error },
    })
    // Once: a finished bulk is not failed again.
    expect(await t.store.bulk.fail('bk_bad', t.fx.now(), error, [])).toBeNull()
    expect(await t.store.bulk.get('bk_good')).toMatchObject({ status: 'running', error: null })
  })

  it('a damaged recipient page throws CorruptRecord naming the page', async () => {
    await newBulk('bk_1', [(await t.fx.contact({})).id])
    damage(`UPDATE bulk_recipients SET contact_ids = '{not json' WHERE bulk_id = 'bk_1'`)
    await expect(t.store.bulk.recipients('bk_1', 0, 10)).rejects.toThrow(CorruptRecord)
    await expect(t.store.bulk.recipients('bk_1', 0, 10)).rejects.toThrow(
      'bulk_recipients bk_1/0: column contact_ids cannot be read',
    )
  })
})

describe.runIf(onSqlite)('other rows that cannot be read', () => {
  it('a contact with damaged attributes throws CorruptRecord naming the row, not its content', async () => {
    const id = (await t.fx.contact({})).id
    damage(`UPDATE contacts SET attributes = '{"secret": ' WHERE id = ?`, id)
    let caught: unknown
    try {
      await t.store.contacts.get(id)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(CorruptRecord)
    expect(caught).toMatchObject({ table: 'contacts', id, column: 'attributes' })
    expect((caught as Error).message).not.toContain('secret')
  })
})

describe.runIf(onSqlite)('migration 4 (bulk-failed)', () => {
  it('upgrades a version-3 database and keeps its bulks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omnigate-mig4-'))
    try {
      const file = join(dir, 'omnigate.db')
      const db = openDatabase(file)
      migrate(db, MIGRATIONS.slice(0, 3), '2025-01-01T00:00:00Z')
      db.prepare(
        `INSERT INTO bulks (seq, id, channel, status, author_kind, spec, total, created_at,
          updated_at) VALUES (7, 'bk_old', 'tg', 'cancelled', 'app', '{}', 3, 'x', 'x')`,
      ).run()
      db.close()
      expect(storeVersion(file).version).toBe(3)
      const store = await openStore({ file, dataDir: dir })
      expect(storeVersion(file).version).toBe(SCHEMA_VERSION)
      expect(await store.bulk.get('bk_old')).toMatchObject({
        status: 'cancelled',
        total: 3,
        error: null,
      })
      await store.close()
      const check = new Database(file)
      expect(check.prepare(`SELECT seq FROM bulks WHERE id = 'bk_old'`).get()).toEqual({ seq: 7 })
      // The new status is accepted, an unknown one still refused.
      check.prepare(`UPDATE bulks SET status = 'failed' WHERE id = 'bk_old'`).run()
      expect(() => check.prepare(`UPDATE bulks SET status = 'lost'`).run()).toThrow(/CHECK/)
      check.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
