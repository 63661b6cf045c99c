import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTempStore, type TempStore } from '../test-fixtures.js'
import type { ContactSearch } from '../types.js'
import { searchQuery } from './contact-search.js'
import { bind } from './executor.js'
import { migrate } from './migrate.js'
import { MIGRATIONS } from './migrations/index.js'
import { openDatabase } from './open-database.js'

let t: TempStore
beforeEach(async () => {
  t = await openTempStore()
})
afterEach(() => t.dispose())

const ids = async (s: Omit<ContactSearch, 'limit'> & { limit?: number }) =>
  (await t.store.contacts.search({ limit: 50, ...s })).items.map((c) => c.id)

describe('contact search', () => {
  it('prefix-matches first name, last name, email parts and phone', async () => {
    const ana = (
      await t.fx.contact({
        first_name: 'Ána',
        last_name: 'Müller',
        email: 'ana.maria@example.com',
      })
    ).id
    const bob = (
      await t.fx.contact({
        first_name: 'Bob',
        last_name: 'Builder',
        email: 'bob@tools.org',
        phone: '+491701234567',
      })
    ).id
    expect(await ids({ q: 'an' })).toEqual([ana])
    expect(await ids({ q: 'mul' })).toEqual([ana])
    expect(await ids({ q: 'maria' })).toEqual([ana])
    expect(await ids({ q: 'ana.maria@exa' })).toEqual([ana])
    expect(await ids({ q: 'tools' })).toEqual([bob])
    expect(await ids({ q: 'bob build' })).toEqual([bob])
    expect(await ids({ q: 'bob müller' })).toEqual([]) // terms are AND-ed
    expect(await ids({ q: 'zed' })).toEqual([])
  })

  it('is case- and accent-insensitive both ways', async () => {
    const ana = (await t.fx.contact({ first_name: 'Ána' })).id
    const jose = (await t.fx.contact({ first_name: 'jose' })).id
    expect(await ids({ q: 'ana' })).toEqual([ana])
    expect(await ids({ q: 'ANA' })).toEqual([ana])
    expect(await ids({ q: 'JOSÉ' })).toEqual([jose])
  })

  it('matches a phone however it is typed', async () => {
    const p = (await t.fx.contact({ first_name: 'Phone', phone: '+491701234567' })).id
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

  it('lists newest activity first and moves a contact with a new message to the top', async () => {
    const a = await t.fx.contact({ first_name: 'Anna' })
    const b = await t.fx.contact({ first_name: 'Anton' })
    const c = await t.fx.contact({ first_name: 'Andrea' })
    const [ia, ib, ic] = [a.id, b.id, c.id]
    expect(await ids({ q: 'an' })).toEqual([ic, ib, ia])
    await t.store.inbound.receive(t.fx.inPlan('555', { newContact: { id: ia } }))
    expect(await ids({ q: 'an' })).toEqual([ia, ic, ib])
    expect(await ids({})).toEqual([ia, ic, ib])
  })

  it('pages with an opaque cursor without repeats or gaps', async () => {
    const all: string[] = []
    for (let i = 0; i < 7; i++) all.unshift((await t.fx.contact({ first_name: `Sam${i}` })).id)
    for (const q of [undefined, 'sam']) {
      const seen: string[] = []
      let cursor: string | undefined
      for (;;) {
        const page = await t.store.contacts.search({ q, limit: 3, cursor })
        seen.push(...page.items.map((c) => c.id))
        if (!page.next_cursor) break
        expect(page.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/)
        cursor = page.next_cursor
      }
      expect(seen).toEqual(all)
    }
    expect(await t.store.contacts.search({ limit: 3, cursor: 'not a cursor' })).toEqual({
      items: [],
      next_cursor: null,
    })
  })

  it('filters through one thread of the contact: status, assignee, tag, channel', async () => {
    const open = (
      await t.fx.contact({ first_name: 'Open' }).thread('tg', { assignee: 'alice', tags: ['vip'] })
    ).id
    const closed = (
      await t.fx
        .contact({ first_name: 'Closed' })
        .thread('mail', { status: 'closed', assignee: 'bob' })
    ).id
    const snoozed = (
      await t.fx.contact({ first_name: 'Snoozed' }).thread('tg', { status: 'snoozed' })
    ).id
    const none = (await t.fx.contact({ first_name: 'None' })).id
    expect(await ids({ thread_status: 'open' })).toEqual([open])
    expect(await ids({ thread_status: 'snoozed' })).toEqual([snoozed])
    expect(await ids({ assignee: 'alice' })).toEqual([open])
    expect(await ids({ assignee: 'unassigned' })).toEqual([snoozed])
    expect(await ids({ tag: 'vip' })).toEqual([open])
    expect(await ids({ channel: 'mail' })).toEqual([closed])
    expect(await ids({ channel: 'tg', thread_status: 'closed' })).toEqual([])
    expect(await ids({ q: 'clo', assignee: 'bob', thread_status: 'closed' })).toEqual([closed])
    expect(await ids({})).toContain(none)
    expect(await t.store.contacts.searchIds({ channel: 'tg' }, 10)).toEqual([snoozed, open])
    expect(await t.store.contacts.searchIds({}, 2)).toHaveLength(2)
  })

  it('finds contacts after their name or phone changes (search text kept in step)', async () => {
    const id = (await t.fx.contact({ first_name: 'Old', phone: '+441234567890' })).id
    await t.store.contacts.update(id, { first_name: 'Nadia', phone: '+33612345678' }, t.fx.now())
    expect(await ids({ q: 'old' })).toEqual([])
    expect(await ids({ q: 'nad' })).toEqual([id])
    expect(await ids({ q: '0612' })).toEqual([id])
    expect(await ids({ q: '0123' })).toEqual([])
  })

  it('never throws on FTS syntax in q', async () => {
    void (await t.fx.contact({ first_name: 'Andrea', last_name: 'Or' })).id
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
    ]) {
      await expect(ids({ q }), q).resolves.toBeInstanceOf(Array)
    }
    expect(await ids({ q: 'AND(' })).toHaveLength(1) // "and"* matches Andrea
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary' }), async (q) => {
        await t.store.contacts.search({ q, limit: 5 })
        await t.store.contacts.searchIds({ q }, 5)
      }),
      { numRuns: 300 },
    )
  })

  it('reads a text search newest-first from the FTS index, without sorting the matches', async () => {
    const db = openDatabase(':memory:')
    migrate(db, MIGRATIONS, '2025-01-01T00:00:00Z')
    for (const f of [{ q: 'pl' }, { q: 'pl', thread_status: 'open' as const, tag: 'vip' }, {}]) {
      const q = searchQuery(f, 51, 1000, 'rows')
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...bind(q.parameters)) as {
        detail: string
      }[]
      const details = plan.map((p) => p.detail).join('\n')
      expect(details).not.toMatch(/TEMP B-TREE/)
      expect(details).toMatch(f.q ? /SCAN f VIRTUAL TABLE/ : /SEARCH c USING INTEGER PRIMARY KEY/)
      if (f.tag) expect(details).toMatch(/SEARCH t EXISTS USING INDEX threads_contact/)
    }
    db.close()
  })
})
