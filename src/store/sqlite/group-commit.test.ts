import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AcceptOutcome, AcceptPlan } from '../types.js'
import { Executor } from './executor.js'
import { GroupCommit } from './group-commit.js'
import { migrate } from './migrate.js'
import { MIGRATIONS } from './migrations/index.js'
import { openDatabase } from './open-database.js'
import { SearchIndex } from './search-index.js'
import type { SqliteDatabase } from './sqlite-database.js'

let dir: string
let file: string
let db: SqliteDatabase
let transactions: number
let group: GroupCommit

// The real connection, counting outermost transactions (savepoints inside do not count).
function counting(inner: SqliteDatabase): SqliteDatabase {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'transaction') {
        return <T>(fn: () => T) => {
          const tx = target.transaction(fn)
          return () => {
            if (!target.inTransaction) transactions++
            return tx()
          }
        }
      }
      const v: unknown = Reflect.get(target, prop, receiver)
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
}

// A stand-in plan: only its id matters to this apply function, which writes one kv row.
const plan = (key: string) => ({ now: key }) as unknown as AcceptPlan

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnigate-gc-'))
  file = join(dir, 'db.sqlite')
  const real = openDatabase(file)
  migrate(real, MIGRATIONS, '2025-01-01T00:00:00Z')
  db = counting(real)
  transactions = 0
  const x = new Executor(db)
  const apply = (p: AcceptPlan): AcceptOutcome => {
    if (p.now.startsWith('bad')) throw new Error('bad plan')
    x.stmt('INSERT INTO kv (scope, key, value) VALUES (?, ?, ?)').run('gc', p.now, 'v')
    return { ok: true, messageId: p.now, threadId: 't', contactId: 'c' }
  }
  group = new GroupCommit(x, apply, new SearchIndex(x))
})
afterEach(() => {
  group.close()
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('GroupCommit', () => {
  it('applies plans submitted in one event-loop turn in one transaction', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => group.submit(plan(`k${i}`))))
    expect(transactions).toBe(1)
    await group.submit(plan('later'))
    expect(transactions).toBe(2)
  })

  it('caps a batch so one turn cannot hold the event loop indefinitely', async () => {
    await Promise.all(Array.from({ length: 300 }, (_, i) => group.submit(plan(`k${i}`))))
    expect(transactions).toBe(2)
  })

  it('settles a promise only once committed (visible to another connection)', async () => {
    const reader = new Database(file, { readonly: true })
    const seen: unknown[] = []
    await Promise.all(
      ['a', 'b'].map((k) =>
        group
          .submit(plan(k))
          .then(() => seen.push(reader.prepare('SELECT value FROM kv WHERE key = ?').get(k))),
      ),
    )
    expect(seen).toEqual([{ value: 'v' }, { value: 'v' }])
    reader.close()
  })

  it('rolls back only the failing plan', async () => {
    const results = await Promise.allSettled([
      group.submit(plan('x')),
      group.submit(plan('bad')),
      group.submit(plan('y')),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(db.prepare("SELECT count(*) AS n FROM kv WHERE scope = 'gc'").get()).toEqual({ n: 2 })
    expect(transactions).toBe(1)
  })
})
