import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { migrateStore, openStore, storeVersion } from './index.js'
import { migrate, SchemaTooNewError, type Migration } from './sqlite/migrate.js'
import { MIGRATIONS, SCHEMA_VERSION } from './sqlite/migrations/index.js'
import { openDatabase } from './sqlite/open-database.js'
import { openTempStore, type TempStore } from './test-fixtures.js'
import { testStoreDialect } from '../../test/helpers/postgres.js'

const onPostgres = testStoreDialect() === 'postgres'

const dirs: string[] = []
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'omnigate-open-'))
  dirs.push(d)
  return d
}

let t: TempStore | undefined
afterEach(async () => {
  await t?.dispose()
  t = undefined
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('openStore', () => {
  it('creates the data folder, blobs/ and a WAL database at the latest schema from nothing', async () => {
    const dir = join(tempDir(), 'nested', 'data')
    const file = join(dir, 'omnigate.db')
    const store = await openStore({ file, dataDir: dir })
    await store.close()
    expect(existsSync(join(dir, 'blobs'))).toBe(true)
    expect(storeVersion(file)).toEqual({ version: SCHEMA_VERSION, latest: SCHEMA_VERSION })
    const db = new Database(file, { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('applies durability pragmas on every connection it opens', () => {
    const db = openDatabase(join(tempDir(), 'x.db'))
    expect(db.pragma('synchronous', { simple: true })).toBe(2) // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0)
    db.close()
  })

  it('keeps data across a reopen', async () => {
    t = await openTempStore()
    const ana = await t.fx.contact({ first_name: 'Ana' }).identity('tg', '42')
    const id = ana.id
    const store = await t.reopen()
    expect((await store.contacts.get(id))?.first_name).toBe('Ana')
    expect((await store.identities.find('tg', '42'))?.contact_id).toBe(id)
  })

  it('refuses a database written by a newer omnigate, naming both versions', async () => {
    const dir = tempDir()
    const file = join(dir, 'omnigate.db')
    await (await openStore({ file, dataDir: dir })).close()
    const db = openDatabase(file)
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      SCHEMA_VERSION + 1,
      'future',
      '2030-01-01T00:00:00Z',
    )
    db.close()
    await expect(openStore({ file, dataDir: dir })).rejects.toThrow(SchemaTooNewError)
    await expect(openStore({ file, dataDir: dir })).rejects.toThrow(
      `database schema version ${SCHEMA_VERSION + 1} is newer than this omnigate ` +
        `(${SCHEMA_VERSION}); upgrade omnigate`,
    )
    expect(() => migrateStore(file)).toThrow(SchemaTooNewError)
  })
})

describe('migrations', () => {
  it('migrateStore reports from/to and is a no-op the second time', () => {
    const file = join(tempDir(), 'omnigate.db')
    expect(storeVersion(file).version).toBe(0)
    expect(migrateStore(file)).toEqual({ from: 0, to: SCHEMA_VERSION })
    expect(migrateStore(file)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION })
  })

  it('upgrades a database built by an older migration set: only new steps run, data kept', () => {
    const file = join(tempDir(), 'omnigate.db')
    const db = openDatabase(file)
    migrate(db, MIGRATIONS, '2025-01-01T00:00:00Z')
    db.prepare('INSERT INTO kv (scope, key, value) VALUES (?, ?, ?)').run('s', 'k', 'kept')
    const ran: number[] = []
    const next: Migration = {
      version: SCHEMA_VERSION + 1,
      name: 'add-notes',
      up: (d) => d.exec('CREATE TABLE notes (id TEXT PRIMARY KEY)'),
    }
    expect(
      migrate(db, [...MIGRATIONS, next], '2025-01-02T00:00:00Z', (m) => ran.push(m.version)),
    ).toEqual({
      from: SCHEMA_VERSION,
      to: SCHEMA_VERSION + 1,
    })
    expect(ran).toEqual([SCHEMA_VERSION + 1])
    expect(db.prepare('SELECT value FROM kv').get()).toEqual({ value: 'kept' })
    db.close()
  })

  it('rolls back a failing step and leaves the database at the previous version', () => {
    const file = join(tempDir(), 'omnigate.db')
    const db = openDatabase(file)
    const broken: Migration = {
      version: SCHEMA_VERSION + 1,
      name: 'broken',
      up: 'CREATE TABLE a (x); SELECT nope FROM nowhere',
    }
    expect(() => migrate(db, [...MIGRATIONS, broken], '2025-01-01T00:00:00Z')).toThrow()
    db.close()
    expect(storeVersion(file).version).toBe(SCHEMA_VERSION)
  })

  it('rejects a migration list that is out of order', () => {
    const db = openDatabase(':memory:')
    const m = (version: number): Migration => ({ version, name: `m${version}`, up: '' })
    expect(() => migrate(db, [m(2), m(1)], '2025-01-01T00:00:00Z')).toThrow(/out of order/)
    db.close()
  })
})

describe('blobs, backup and integrity', () => {
  // Blob files are SQLite's; PostgreSQL keeps them in a table (postgres/blob-table.test.ts).
  it.skipIf(onPostgres)(
    'stores a blob under its sha256 and reads it back; same bytes twice: one file',
    async () => {
      t = await openTempStore()
      const data = Buffer.from('attachment bytes')
      const a = await t.store.blobs.put(data)
      const b = await t.store.blobs.put(data)
      expect(a).toEqual(b)
      expect(a.size).toBe(data.length)
      expect(a.sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(t.store.blobs.path(a.sha256)).toBe(join(t.dir, 'blobs', a.sha256))
      expect(readFileSync(t.store.blobs.path(a.sha256))).toEqual(data)
      expect(await t.store.blobs.read(a.sha256)).toEqual(data)
      expect(() => t?.store.blobs.path('../../etc/passwd')).toThrow()
    },
  )

  // `omnigate backup` copies a SQLite file; PostgreSQL is backed up with pg_dump.
  it.skipIf(onPostgres)('backs up to a file that opens as a store with the same data', async () => {
    t = await openTempStore()
    const id = (await t.fx.contact({ first_name: 'Backed', last_name: 'Up' })).id
    const copy = join(tempDir(), 'copy.db')
    await t.store.backup(copy)
    const restored = await openStore({ file: copy, dataDir: tempDir() })
    expect((await restored.contacts.get(id))?.last_name).toBe('Up')
    const found = await restored.contacts.search({ q: 'back', limit: 5 })
    expect(found.items.map((c) => c.id)).toEqual([id])
    expect(await restored.integrityCheck()).toBe('ok')
    await restored.close()
  })

  it('reports ok from the integrity check of a healthy database', async () => {
    t = await openTempStore()
    await t.fx.contact({ first_name: 'Ok' }).thread('tg')
    expect(await t.store.integrityCheck()).toBe('ok')
  })
})
