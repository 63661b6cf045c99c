import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { storeFault } from '../store-fault.js'
import { openDatabase } from './open-database.js'
import type { SqliteDatabase } from './sqlite-database.js'
import { Executor } from './executor.js'
import { WalSync } from './wal-sync.js'

let dir: string
let db: SqliteDatabase
let wal: WalSync

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnigate-wal-'))
  db = openDatabase(join(dir, 'db.sqlite'))
  db.exec('CREATE TABLE t (v TEXT)')
  wal = new WalSync(new Executor(db))
})
afterEach(async () => {
  db.close()
  await wal.close()
  rmSync(dir, { recursive: true, force: true })
})

const insert = (v: string): void => {
  wal.relax(() => db.transaction(() => db.prepare('INSERT INTO t (v) VALUES (?)').run(v))())
}

describe('WalSync', () => {
  it('leaves the commit its fsync out and puts FULL back afterwards', () => {
    let during: unknown
    wal.relax(() => {
      during = db.pragma('synchronous', { simple: true })
    })
    expect(during).toBe(1) // NORMAL
    expect(db.pragma('synchronous', { simple: true })).toBe(2) // FULL
  })

  it('commits made while an fsync runs share the next one', async () => {
    insert('a')
    const first = wal.sync()
    insert('b')
    const second = wal.sync()
    insert('c')
    const third = wal.sync()
    await Promise.all([first, second, third])
    // The first starts at once; the other two were asked meanwhile and wait for one more.
    expect(wal.fsyncs).toBe(2)
    await wal.sync()
    expect(wal.fsyncs).toBe(3)
  })

  it('a settled sync leaves the rows readable from another connection', async () => {
    insert('x')
    await wal.sync()
    const other = openDatabase(join(dir, 'db.sqlite'), { readonly: true })
    expect(other.prepare('SELECT v FROM t').all()).toEqual([{ v: 'x' }])
    other.close()
  })

  it('a database without a WAL keeps its own fsync and syncs nothing', async () => {
    const memory = openDatabase(':memory:')
    const none = new WalSync(new Executor(memory))
    expect(none.enabled).toBe(false)
    let during: unknown
    none.relax(() => {
      during = memory.pragma('synchronous', { simple: true })
    })
    expect(during).toBe(2)
    await none.sync()
    expect(none.fsyncs).toBe(0)
    memory.close()
  })

  it('after the database closed, a sync is nothing to wait for', async () => {
    insert('y')
    db.close()
    await expect(wal.sync()).resolves.toBeUndefined()
    db = openDatabase(join(dir, 'db.sqlite'))
  })

  it('a failed fsync rejects the writes waiting on it as a disk fault (503 at the API)', async () => {
    // A WAL path the sync cannot open as a file: the disk's fault as far as the caller can tell.
    const name = join(dir, 'broken.db')
    mkdirSync(`${name}-wal`)
    const fake = { memory: false, readonly: false, name, pragma: () => 'wal' }
    const broken = new WalSync(new Executor(fake as unknown as SqliteDatabase))
    const err = await broken.sync().then(
      () => null,
      (e: unknown) => e,
    )
    expect(storeFault(err)).toEqual({ kind: 'io', code: 'SQLITE_IOERR_FSYNC' })
    await broken.close()
  })
})
