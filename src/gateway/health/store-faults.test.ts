import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { pino } from 'pino'
import { Counter, Registry } from 'prom-client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, type Store, type StoreUpkeep } from '../../store/index.js'
import type { SqliteDatabase } from '../../store/sqlite/sqlite-database.js'
import { Health } from './index.js'
import { StoreFaults, storeUnavailable } from './store-faults.js'

let dir: string
let file: string
let store: Store & StoreUpkeep
let db: SqliteDatabase
let health: Health
let errors: Counter<'kind'>
let faults: StoreFaults

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'omnigate-faults-'))
  file = join(dir, 'omnigate.db')
  store = await openStore({ file, dataDir: dir, onOpen: (d) => (db = d) })
  health = new Health()
  errors = new Counter({ name: 'e', help: 'e', labelNames: ['kind'], registers: [new Registry()] })
  faults = new StoreFaults({
    health,
    errors,
    store,
    log: pino({ level: 'silent' }),
    now: () => new Date(),
  })
})
afterEach(async () => {
  faults.stop()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const sqliteError = (code: string) => new Database.SqliteError('x', code)
const count = async (kind: string) =>
  (await errors.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0
const codes = () => health.problems().map((p) => p.code)

describe('StoreFaults', () => {
  it('counts each fault by kind and stands it as a store problem', async () => {
    expect(faults.report(sqliteError('SQLITE_FULL'), 'test')).toEqual({
      kind: 'full',
      code: 'SQLITE_FULL',
    })
    faults.report(sqliteError('SQLITE_BUSY'), 'test')
    faults.report(sqliteError('SQLITE_IOERR_FSYNC'), 'test')
    expect(await count('full')).toBe(1)
    expect(await count('busy')).toBe(1)
    expect(await count('io')).toBe(1)
    expect(codes().sort()).toEqual(['disk_full', 'store_unwritable'])
    expect(health.problems().every((p) => p.component === 'store')).toBe(true)
  })

  it('ignores what is not a store fault', async () => {
    expect(faults.report(new TypeError('bug'), 'test')).toBeNull()
    expect(faults.report(sqliteError('SQLITE_CONSTRAINT_UNIQUE'), 'test')).toBeNull()
    expect(codes()).toEqual([])
    expect(await count('busy')).toBe(0)
  })

  it('a probe that cannot write keeps the problem; one that can clears it', async () => {
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`)
    faults.report(sqliteError('SQLITE_FULL'), 'test')
    expect(await faults.probe()).toBe(false)
    expect(codes()).toEqual(['disk_full'])
    db.pragma('max_page_count = 1073741823')
    expect(await faults.probe()).toBe(true)
    expect(codes()).toEqual([])
  })

  it('a probe while another process holds the lock fails without clearing', async () => {
    faults.report(sqliteError('SQLITE_BUSY'), 'test')
    const other = new Database(file)
    other.exec('BEGIN EXCLUSIVE')
    try {
      expect(await faults.probe()).toBe(false)
      expect(codes()).toEqual(['store_unwritable'])
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    expect(await faults.probe()).toBe(true)
    expect(codes()).toEqual([])
  })

  it('a successful probe gives the space of a grown WAL back (truncates it)', async () => {
    db.exec('CREATE TABLE big (x)')
    db.transaction(() => {
      for (let i = 0; i < 500; i++) db.prepare('INSERT INTO big VALUES (zeroblob(4000))').run()
    })()
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(1_000_000)
    expect(await faults.probe()).toBe(true)
    expect(statSync(`${file}-wal`).size).toBe(0)
  })

  it('answers 503 store_unavailable with Retry-After and the kind', async () => {
    for (const kind of ['busy', 'full', 'io'] as const) {
      const e = storeUnavailable({ kind, code: 'X' })
      expect(e.status).toBe(503)
      expect(e.code).toBe('store_unavailable')
      expect(e.details).toEqual({ kind })
      expect(Number(e.headers?.['retry-after'])).toBeGreaterThan(0)
    }
  })
})
