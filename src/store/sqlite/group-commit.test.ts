import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AcceptOutcome, AcceptPlan } from '../types.js'
import { Executor } from './executor.js'
import { BUSY_RETRY_MS, GroupCommit } from './group-commit.js'
import { migrate } from './migrate.js'
import { MIGRATIONS } from './migrations/index.js'
import { BUSY_TIMEOUT_MS, openDatabase } from './open-database.js'
import { SearchIndex } from './search-index.js'
import type { SqliteDatabase } from './sqlite-database.js'
import { WalSync, type Durable } from './wal-sync.js'

let dir: string
let file: string
let db: SqliteDatabase
let transactions: number
let group: GroupCommit
let real: SqliteDatabase
let wal: WalSync
/** What the group commit did, in order: commits (with the connection's synchronous) and syncs. */
let steps: string[]

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
  real = openDatabase(file)
  migrate(real, MIGRATIONS, '2025-01-01T00:00:00Z')
  real.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`) // as the daemon runs it
  db = counting(real)
  transactions = 0
  const x = new Executor(db)
  // In its own savepoint, as the store runs a plan (inSavepoint).
  const apply = (p: AcceptPlan): AcceptOutcome =>
    x.tx(() => {
      if (p.now.startsWith('bad')) throw new Error('bad plan')
      // `big…` plans need pages of their own: a capped max_page_count runs out on them.
      const value = p.now.startsWith('big') ? 'v'.repeat(8000) : 'v'
      x.stmt('INSERT INTO kv (scope, key, value) VALUES (?, ?, ?)').run('gc', p.now, value)
      return { ok: true, messageId: p.now, threadId: 't', contactId: 'c' }
    })
  wal = new WalSync(x)
  steps = []
  const durable: Durable = {
    relax: (fn) =>
      wal.relax(() => {
        steps.push(`commit synchronous=${String(real.pragma('synchronous', { simple: true }))}`)
        return fn()
      }),
    sync: () => wal.sync().then(() => void steps.push('synced')),
  }
  group = new GroupCommit(x, apply, new SearchIndex(x), durable)
})
afterEach(async () => {
  group.close()
  db.close()
  await wal.close()
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

  it('commits without an fsync on the event loop and settles plans once the WAL is synced', async () => {
    await Promise.all(
      ['a', 'b'].map((k) => group.submit(plan(k)).then(() => void steps.push(`settled ${k}`))),
    )
    // NORMAL (1) for the commit, then one fsync of the WAL off the loop for both plans.
    expect(steps).toEqual(['commit synchronous=1', 'synced', 'settled a', 'settled b'])
    expect(wal.fsyncs).toBe(1)
    expect(real.pragma('synchronous', { simple: true })).toBe(2) // FULL again for other writes
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

/** Another process's connection to the same file, holding the write lock until released. */
function holdLock(): { release(): void } {
  const other = new Database(file)
  other.exec('BEGIN EXCLUSIVE')
  return {
    release() {
      if (other.inTransaction) other.exec('ROLLBACK')
      other.close()
    },
  }
}

const stored = (): number =>
  (db.prepare("SELECT count(*) AS n FROM kv WHERE scope = 'gc'").get() as { n: number }).n

describe('GroupCommit and store faults', () => {
  it('waits out a lock held by another process without blocking, then commits every plan', async () => {
    const lock = holdLock()
    // Released by a timer: a commit that waited synchronously would hold the timer back and fail.
    setTimeout(() => lock.release(), 150)
    const results = await Promise.all(['a', 'b', 'c'].map((k) => group.submit(plan(k))))
    expect(results.map((r) => r.ok)).toEqual([true, true, true])
    expect(stored()).toBe(3)
  })

  it('a plan submitted while a locked batch waits joins its next try', async () => {
    const lock = holdLock()
    const first = group.submit(plan('first'))
    await new Promise((r) => setTimeout(r, 60))
    const second = group.submit(plan('second'))
    lock.release()
    await Promise.all([first, second])
    expect(stored()).toBe(2)
  })

  it('gives up after BUSY_RETRY_MS with SQLITE_BUSY and stores none of the batch', async () => {
    const lock = holdLock()
    const started = Date.now()
    try {
      const results = await Promise.allSettled([group.submit(plan('a')), group.submit(plan('b'))])
      expect(
        results.map((r) =>
          r.status === 'rejected' ? (r.reason as { code: string }).code : r.status,
        ),
      ).toEqual(['SQLITE_BUSY', 'SQLITE_BUSY'])
      // Not before the plans' time was up: a short lock would have been waited out.
      expect(Date.now() - started).toBeGreaterThanOrEqual(BUSY_RETRY_MS)
    } finally {
      lock.release()
    }
    expect(stored()).toBe(0)
    await group.submit(plan('after'))
    expect(stored()).toBe(1)
  })

  it('a full disk fails the whole batch: no plan is half-written or committed on its own', async () => {
    // Room for a few big plans, not for all: SQLite rolls the whole transaction back on
    // SQLITE_FULL, and plans after the failing one must not then commit outside the batch.
    const pages = real.pragma('page_count', { simple: true }) as number
    real.pragma(`max_page_count = ${pages + 6}`)
    const keys = Array.from({ length: 8 }, (_, i) => `big${i}`)
    const results = await Promise.allSettled(keys.map((k) => group.submit(plan(k))))
    expect(results.every((r) => r.status === 'rejected')).toBe(true)
    expect(
      results.map((r) => r.status === 'rejected' && (r.reason as { code: string }).code),
    ).toContain('SQLITE_FULL')
    expect(stored()).toBe(0)
    // Space freed: the same plans go through.
    real.pragma('max_page_count = 1073741823')
    await Promise.all(keys.map((k) => group.submit(plan(k))))
    expect(stored()).toBe(8)
    expect(real.pragma('integrity_check', { simple: true })).toBe('ok')
  })
})
