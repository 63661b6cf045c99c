import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { storeFault } from './store-fault.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function file(): string {
  const dir = mkdtempSync(join(tmpdir(), 'omnigate-fault-'))
  dirs.push(dir)
  return join(dir, 'db.sqlite')
}

/** What better-sqlite3 really throws, caught. */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw')
}

const withCode = (code: string) => Object.assign(new Error(code), { code })

describe('storeFault', () => {
  it('a write while another connection holds the lock is busy', async () => {
    const f = file()
    const a = new Database(f)
    a.pragma('journal_mode = WAL')
    a.pragma('busy_timeout = 0')
    a.exec('CREATE TABLE t (x)')
    const b = new Database(f)
    b.exec('BEGIN EXCLUSIVE')
    const err = thrown(() => a.prepare('INSERT INTO t VALUES (1)').run())
    expect(storeFault(err)).toEqual({ kind: 'busy', code: 'SQLITE_BUSY' })
    b.exec('ROLLBACK')
    a.close()
    b.close()
  })

  it('a database at its max_page_count is full', async () => {
    const db = new Database(file())
    db.exec('CREATE TABLE t (x)')
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`)
    const err = thrown(() => db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(10_000)))
    expect(storeFault(err)).toEqual({ kind: 'full', code: 'SQLITE_FULL' })
    db.close()
  })

  it.each([
    ['SQLITE_BUSY_SNAPSHOT', 'busy'],
    ['SQLITE_LOCKED', 'busy'],
    ['SQLITE_LOCKED_SHAREDCACHE', 'busy'],
    ['SQLITE_PROTOCOL', 'busy'],
    ['SQLITE_IOERR', 'io'],
    ['SQLITE_IOERR_WRITE', 'io'],
    ['SQLITE_IOERR_FSYNC', 'io'],
    ['ENOSPC', 'full'],
    ['EDQUOT', 'full'],
    ['EIO', 'io'],
  ])('%s is %s', (code, kind) => {
    // SQLite's codes as better-sqlite3 throws them; the others as Node's fs does.
    const err = code.startsWith('SQLITE_') ? new Database.SqliteError('x', code) : withCode(code)
    expect(storeFault(err)).toEqual({ kind, code })
  })

  it('is null for everything that is not the store failing', async () => {
    const db = new Database(':memory:')
    db.exec('CREATE TABLE t (x UNIQUE)')
    db.prepare('INSERT INTO t VALUES (1)').run()
    const constraint = thrown(() => db.prepare('INSERT INTO t VALUES (1)').run())
    const syntax = thrown(() => db.prepare('SELEC 1'))
    db.close()
    for (const err of [
      constraint,
      syntax,
      new TypeError('x is undefined'),
      new RangeError('Maximum call stack size exceeded'),
      withCode('ECONNRESET'),
      withCode('SQLITE_CONSTRAINT_UNIQUE'),
      withCode('SQLITE_FULLISH'),
      { code: 'SQLITE_BUSY' },
      'SQLITE_BUSY',
      null,
      undefined,
    ]) {
      expect(storeFault(err)).toBeNull()
    }
  })
})
