import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Checkpointer } from './checkpointer.js'
import { openDatabase } from './open-database.js'
import type { SqliteDatabase } from './sqlite-database.js'

let dir: string
let file: string
let db: SqliteDatabase
let ckpt: Checkpointer | null

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnigate-ckpt-'))
  file = join(dir, 'db.sqlite')
  db = openDatabase(file)
  db.exec('CREATE TABLE t (v TEXT)')
  ckpt = null
})
afterEach(async () => {
  await ckpt?.close()
  if (db.open) db.close()
  rmSync(dir, { recursive: true, force: true })
})

/** `n` rows of 1 KB in one transaction, as a busy daemon's commits write them. */
const write = (n: number): void => {
  const stmt = db.prepare('INSERT INTO t (v) VALUES (?)')
  db.transaction(() => {
    for (let i = 0; i < n; i++) stmt.run('x'.repeat(1024))
  })()
}
const ownPages = (): unknown => db.pragma('wal_autocheckpoint', { simple: true })
/** The rows the database file itself holds: a copy of it alone, without the WAL. */
const rowsInFile = (): unknown => {
  const copy = join(dir, 'copy.sqlite')
  copyFileSync(file, copy)
  const other = openDatabase(copy, { readonly: true })
  try {
    return other.prepare('SELECT count(*) AS n FROM t').get()
  } finally {
    other.close()
  }
}

describe('Checkpointer', () => {
  it('checkpoints a busy WAL on its own thread, with the loop’s threshold raised to a backstop', async () => {
    ckpt = new Checkpointer(db)
    expect(ownPages()).toBe(1000)
    for (let i = 0; i < 40; i++) {
      write(5)
      ckpt.note()
    }
    await vi.waitFor(() => expect(ckpt?.checkpoints).toBeGreaterThan(0), { timeout: 5000 })
    expect(ownPages()).toBe(16_384)
    // Everything written so far was copied into the database file (SQLite's own threshold,
    // 1 000 pages, is far off: the WAL holds ≈ 60).
    expect(rowsInFile()).toEqual({ n: 200 })
  })

  it('leaves a quiet database to SQLite’s own checkpoints', async () => {
    ckpt = new Checkpointer(db)
    for (let i = 0; i < 5; i++) {
      write(1)
      ckpt.note()
    }
    await new Promise((r) => setTimeout(r, 600))
    expect(ckpt.checkpoints).toBe(0)
    expect(ownPages()).toBe(1000)
  })

  it('closes its thread’s connection, so the last close removes the WAL', async () => {
    ckpt = new Checkpointer(db)
    write(50)
    ckpt.note(50)
    await vi.waitFor(() => expect(ckpt?.checkpoints).toBeGreaterThan(0), { timeout: 5000 })
    write(10)
    await ckpt.close()
    db.close()
    expect(existsSync(`${file}-wal`)).toBe(false)
    const again = openDatabase(file)
    expect(again.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 60 })
    again.close()
  })

  it('falls back to the loop’s own checkpoints when the thread cannot run', async () => {
    const warnings: unknown[] = []
    const log = { warn: (o: unknown) => warnings.push(o) } as never
    ckpt = new Checkpointer(db, log, join(dir, 'no-such-driver.js'))
    write(50)
    ckpt.note(50)
    await vi.waitFor(() => expect(warnings).toHaveLength(1), { timeout: 5000 })
    expect(ownPages()).toBe(1000)
    // Writes go on, checkpointed by SQLite on the loop.
    write(10)
    ckpt.note(10)
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 60 })
  })
})
