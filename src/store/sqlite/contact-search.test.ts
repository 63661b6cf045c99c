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
beforeEach(() => {
  t = openTempStore()
})
afterEach(() => t.dispose())

const ids = (s: Omit<ContactSearch, 'limit'> & { limit?: number }) =>
  t.store.contacts.search({ limit: 50, ...s }).items.map((c) => c.id)

describe('contact search', () => {
  it('prefix-matches first name, last name, email parts and phone', () => {
    const ana = t.fx.contact({
      first_name: 'Ána',
      last_name: 'Müller',
      email: 'ana.maria@example.com',
    }).id
    const bob = t.fx.contact({
      first_name: 'Bob',
      last_name: 'Builder',
      email: 'bob@tools.org',
      phone: '+491701234567',
    }).id
    expect(ids({ q: 'an' })).toEqual([ana])
    expect(ids({ q: 'mul' })).toEqual([ana])
    expect(ids({ q: 'maria' })).toEqual([ana])
    expect(ids({ q: 'ana.maria@exa' })).toEqual([ana])
    expect(ids({ q: 'tools' })).toEqual([bob])
    expect(ids({ q: 'bob build' })).toEqual([bob])
    expect(ids({ q: 'bob müller' })).toEqual([]) // terms are AND-ed
    expect(ids({ q: 'zed' })).toEqual([])
  })

  it('is case- and accent-insensitive both ways', () => {
    const ana = t.fx.contact({ first_name: 'Ána' }).id
    const jose = t.fx.contact({ first_name: 'jose' }).id
    expect(ids({ q: 'ana' })).toEqual([ana])
    expect(ids({ q: 'ANA' })).toEqual([ana])
    expect(ids({ q: 'JOSÉ' })).toEqual([jose])
  })

  it('matches a phone however it is typed', () => {
    const p = t.fx.contact({ first_name: 'Phone', phone: '+491701234567' }).id
    for (const q of [
      '+49 170 1234',
      '0170 123',
      '(0170) 12-34',
      '1701234',
      '+491701234567',
      '4917',
    ]) {
      expect(ids({ q }), q).toEqual([p])
    }
    expect(ids({ q: '0171' })).toEqual([])
  })

  it('lists newest activity first and moves a contact with a new message to the top', () => {
    const a = t.fx.contact({ first_name: 'Anna' })
    const b = t.fx.contact({ first_name: 'Anton' })
    const c = t.fx.contact({ first_name: 'Andrea' })
    const [ia, ib, ic] = [a.id, b.id, c.id]
    expect(ids({ q: 'an' })).toEqual([ic, ib, ia])
    t.store.inbound.receive(t.fx.inPlan('555', { newContact: { id: ia } }))
    expect(ids({ q: 'an' })).toEqual([ia, ic, ib])
    expect(ids({})).toEqual([ia, ic, ib])
  })

  it('pages with an opaque cursor without repeats or gaps', () => {
    const all = Array.from(
      { length: 7 },
      (_, i) => t.fx.contact({ first_name: `Sam${i}` }).id,
    ).reverse()
    for (const q of [undefined, 'sam']) {
      const seen: string[] = []
      let cursor: string | undefined
      for (;;) {
        const page = t.store.contacts.search({ q, limit: 3, cursor })
        seen.push(...page.items.map((c) => c.id))
        if (!page.next_cursor) break
        expect(page.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/)
        cursor = page.next_cursor
      }
      expect(seen).toEqual(all)
    }
    expect(t.store.contacts.search({ limit: 3, cursor: 'not a cursor' })).toEqual({
      items: [],
      next_cursor: null,
    })
  })

  it('filters through one thread of the contact: status, assignee, tag, channel', () => {
    const open = t.fx
      .contact({ first_name: 'Open' })
      .thread('tg', { assignee: 'alice', tags: ['vip'] }).id
    const closed = t.fx
      .contact({ first_name: 'Closed' })
      .thread('mail', { status: 'closed', assignee: 'bob' }).id
    const snoozed = t.fx.contact({ first_name: 'Snoozed' }).thread('tg', { status: 'snoozed' }).id
    const none = t.fx.contact({ first_name: 'None' }).id
    expect(ids({ thread_status: 'open' })).toEqual([open])
    expect(ids({ thread_status: 'snoozed' })).toEqual([snoozed])
    expect(ids({ assignee: 'alice' })).toEqual([open])
    expect(ids({ assignee: 'unassigned' })).toEqual([snoozed])
    expect(ids({ tag: 'vip' })).toEqual([open])
    expect(ids({ channel: 'mail' })).toEqual([closed])
    expect(ids({ channel: 'tg', thread_status: 'closed' })).toEqual([])
    expect(ids({ q: 'clo', assignee: 'bob', thread_status: 'closed' })).toEqual([closed])
    expect(ids({})).toContain(none)
    expect(t.store.contacts.searchIds({ channel: 'tg' }, 10)).toEqual([snoozed, open])
    expect(t.store.contacts.searchIds({}, 2)).toHaveLength(2)
  })

  it('finds contacts after their name or phone changes (search text kept in step)', () => {
    const id = t.fx.contact({ first_name: 'Old', phone: '+441234567890' }).id
    t.store.contacts.update(id, { first_name: 'Nadia', phone: '+33612345678' }, t.fx.now())
    expect(ids({ q: 'old' })).toEqual([])
    expect(ids({ q: 'nad' })).toEqual([id])
    expect(ids({ q: '0612' })).toEqual([id])
    expect(ids({ q: '0123' })).toEqual([])
  })

  it('never throws on FTS syntax in q', () => {
    void t.fx.contact({ first_name: 'Andrea', last_name: 'Or' }).id
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
      expect(() => ids({ q }), q).not.toThrow()
    }
    expect(ids({ q: 'AND(' })).toHaveLength(1) // "and"* matches Andrea
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (q) => {
        t.store.contacts.search({ q, limit: 5 })
        t.store.contacts.searchIds({ q }, 5)
      }),
      { numRuns: 300 },
    )
  })

  it('reads a text search newest-first from the FTS index, without sorting the matches', () => {
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
