/**
 * The SQLite contact-search cases (sqlite/contact-search.test.ts) run against PostgreSQL's search:
 * the same contacts must be found in the same order. Rows are written the way the PostgreSQL
 * dialect writes them (search vector from the same search text), on a migrated test database.
 */
import fc from 'fast-check'
import { Kysely, PostgresDialect, sql } from 'kysely'
import type pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  dropTestDatabase,
  testStoreDialect,
  uniqueDatabaseName,
} from '../../../test/helpers/postgres.js'
import type { ContactSearch, NewContact } from '../types.js'
import { searchContactIds, searchContactRows } from './contact-search.js'
import { openPool } from './pool.js'
import type { PgSchema } from './schema.js'
import { contactSearchVector } from './search-vector.js'

describe.skipIf(testStoreDialect() !== 'postgres')('contact search (PostgreSQL)', () => {
  const name = uniqueDatabaseName('search')
  let pool: pg.Pool
  let db: Kysely<PgSchema>
  let n = 0
  const NOW = '2025-01-01T00:00:00.000Z'

  beforeAll(async () => {
    pool = openPool({ url: await createTestDatabase(name), pool: 2 })
    db = new Kysely<PgSchema>({ dialect: new PostgresDialect({ pool }) })
  })
  afterAll(async () => {
    await db.destroy()
    await dropTestDatabase(name)
  })
  beforeEach(async () => {
    await sql`TRUNCATE contacts, threads, thread_tags CASCADE`.execute(db)
  })

  async function contact(fields: Omit<NewContact, 'id'>): Promise<string> {
    const id = `ct_${String(++n).padStart(6, '0')}`
    await db
      .insertInto('contacts')
      .values({
        id,
        first_name: fields.first_name ?? null,
        last_name: fields.last_name ?? null,
        email: fields.email ?? null,
        phone: fields.phone ?? null,
        attributes: '{}',
        blocked: false,
        created_at: NOW,
        updated_at: NOW,
        last_activity_at: NOW,
        search: contactSearchVector(fields),
      })
      .execute()
    return id
  }

  /** Activity: the contact moves to the top, as the dialect's touchContact does. */
  const touch = (id: string) =>
    sql`UPDATE contacts SET seq = nextval('contacts_seq') WHERE id = ${id}`.execute(db)

  async function thread(
    contactId: string,
    channel: string,
    o: { status?: string; assignee?: string | null; tags?: string[] } = {},
  ): Promise<void> {
    const id = `th_${String(++n).padStart(6, '0')}`
    await db
      .insertInto('threads')
      .values({
        id,
        contact_id: contactId,
        channel,
        status: o.status ?? 'open',
        assignee: o.assignee ?? null,
        snoozed_until: null,
        created_at: NOW,
        updated_at: NOW,
        closed_at: null,
      })
      .execute()
    for (const tag of o.tags ?? []) {
      await db.insertInto('thread_tags').values({ thread_id: id, tag }).execute()
    }
  }

  const ids = async (s: Omit<ContactSearch, 'limit' | 'cursor'>, limit = 50) =>
    (await searchContactRows(db, s, limit)).map((c) => c.id)

  it('prefix-matches first name, last name, email parts and phone', async () => {
    const ana = await contact({
      first_name: 'Ána',
      last_name: 'Müller',
      email: 'ana.maria@example.com',
    })
    const bob = await contact({
      first_name: 'Bob',
      last_name: 'Builder',
      email: 'bob@tools.org',
      phone: '+491701234567',
    })
    expect(await ids({ q: 'an' })).toEqual([ana])
    expect(await ids({ q: 'mul' })).toEqual([ana])
    expect(await ids({ q: 'maria' })).toEqual([ana])
    expect(await ids({ q: 'ana.maria@exa' })).toEqual([ana])
    expect(await ids({ q: 'maria.ana' })).toEqual([]) // a phrase keeps its order
    expect(await ids({ q: 'tools' })).toEqual([bob])
    expect(await ids({ q: 'bob build' })).toEqual([bob])
    expect(await ids({ q: 'bob müller' })).toEqual([]) // terms are AND-ed
    expect(await ids({ q: 'zed' })).toEqual([])
  })

  it('keeps a phrase inside one field', async () => {
    const id = await contact({ first_name: 'Ana', last_name: 'Lee' })
    expect(await ids({ q: 'ana lee' })).toEqual([id]) // two terms
    expect(await ids({ q: 'ana-lee' })).toEqual([]) // one phrase across two fields
  })

  it('is case- and accent-insensitive both ways', async () => {
    const ana = await contact({ first_name: 'Ána' })
    const jose = await contact({ first_name: 'jose' })
    expect(await ids({ q: 'ana' })).toEqual([ana])
    expect(await ids({ q: 'ANA' })).toEqual([ana])
    expect(await ids({ q: 'JOSÉ' })).toEqual([jose])
  })

  it('matches a phone however it is typed', async () => {
    const p = await contact({ first_name: 'Phone', phone: '+491701234567' })
    for (const q of [
      '+49 170 1234',
      '0170 123',
      '(0170) 12-34',
      '1701234',
      '+491701234567',
      '4917',
    ]) {
      expect(await ids({ q }), q).toEqual([p])
    }
    expect(await ids({ q: '0171' })).toEqual([])
  })

  it('lists newest activity first and moves a contact with activity to the top', async () => {
    const a = await contact({ first_name: 'Anna' })
    const b = await contact({ first_name: 'Anton' })
    const c = await contact({ first_name: 'Andrea' })
    expect(await ids({ q: 'an' })).toEqual([c, b, a])
    await touch(a)
    expect(await ids({ q: 'an' })).toEqual([a, c, b])
    expect(await ids({})).toEqual([a, c, b])
  })

  it('pages by seq without repeats or gaps', async () => {
    const all: string[] = []
    for (let i = 0; i < 7; i++) all.unshift(await contact({ first_name: `Sam${i}` }))
    for (const q of [undefined, 'sam']) {
      const seen: string[] = []
      let before: number | undefined
      for (;;) {
        const page = await searchContactRows(db, { q }, 3, before)
        seen.push(...page.map((c) => c.id))
        if (page.length < 3) break
        before = page[page.length - 1]?.seq
      }
      expect(seen).toEqual(all)
    }
  })

  it('filters through one thread of the contact: status, assignee, tag, channel', async () => {
    const open = await contact({ first_name: 'Open' })
    await thread(open, 'tg', { assignee: 'alice', tags: ['vip'] })
    const closed = await contact({ first_name: 'Closed' })
    await thread(closed, 'mail', { status: 'closed', assignee: 'bob' })
    const snoozed = await contact({ first_name: 'Snoozed' })
    await thread(snoozed, 'tg', { status: 'snoozed' })
    const none = await contact({ first_name: 'None' })
    expect(await ids({ thread_status: 'open' })).toEqual([open])
    expect(await ids({ thread_status: 'snoozed' })).toEqual([snoozed])
    expect(await ids({ assignee: 'alice' })).toEqual([open])
    expect(await ids({ assignee: 'unassigned' })).toEqual([snoozed])
    expect(await ids({ tag: 'vip' })).toEqual([open])
    expect(await ids({ channel: 'mail' })).toEqual([closed])
    expect(await ids({ channel: 'tg', thread_status: 'closed' })).toEqual([])
    expect(await ids({ q: 'clo', assignee: 'bob', thread_status: 'closed' })).toEqual([closed])
    expect(await ids({})).toContain(none)
    expect(await searchContactIds(db, { channel: 'tg' }, 10)).toEqual([snoozed, open])
    expect(await searchContactIds(db, {}, 2)).toHaveLength(2)
  })

  it('never fails on query syntax in q', async () => {
    await contact({ first_name: 'Andrea', last_name: 'Or' })
    for (const q of [
      '"',
      '*',
      'AND(',
      'NEAR(a b)',
      'first_name:x',
      '""*',
      '-',
      'a OR',
      '^a',
      '\u0000',
      '   ',
      '(',
      "'",
      '\\',
      '!a',
      'a:*',
      'a & | b',
    ]) {
      await expect(ids({ q }), q).resolves.toBeDefined()
    }
    expect(await ids({ q: 'AND(' })).toHaveLength(1) // "and"* matches Andrea
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary' }), async (q) => {
        await searchContactRows(db, { q }, 5)
      }),
      { numRuns: 25 },
    )
  })

  it('can answer a prefix term from the GIN index and "newest first" from the seq index', async () => {
    for (let i = 0; i < 50; i++) await contact({ first_name: `Person${i}` })
    // A table this small is read whole; with sequential scans off the plan shows which index
    // can serve the query (a prefix tsquery must be able to use the GIN index).
    const c = await pool.connect()
    try {
      await c.query('BEGIN')
      await c.query('SET LOCAL enable_seqscan = off')
      const explain = async (text: string, params: unknown[] = []) =>
        (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, params)).rows
          .map((r) => r['QUERY PLAN'])
          .join('\n')
      expect(
        await explain('SELECT id FROM contacts WHERE search @@ $1::tsquery', ["'person4':*"]),
      ).toMatch(/Bitmap Index Scan on contacts_search/)
      expect(await explain('SELECT id FROM contacts ORDER BY seq DESC LIMIT 50')).toMatch(
        /Index Scan Backward using contacts_seq_key/,
      )
      await c.query('ROLLBACK')
    } finally {
      c.release()
    }
  })
})
