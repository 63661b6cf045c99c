import { afterEach, describe, expect, it } from 'vitest'
import type pg from 'pg'
import {
  createTestDatabase,
  dropTestDatabase,
  testStoreDialect,
  uniqueDatabaseName,
} from '../../../test/helpers/postgres.js'
import { migratePostgres, SchemaTooNewError } from './migrate.js'
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './migrations/index.js'
import { openPool } from './pool.js'
import { SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from '../sqlite/migrations/index.js'

const NOW = '2026-01-02T03:04:05.000Z'

describe.skipIf(testStoreDialect() !== 'postgres')('PostgreSQL migrations', () => {
  const opened: { name: string; pools: pg.Pool[] }[] = []

  /** An empty database and `n` pools on it (each pool as one daemon would have). */
  async function emptyDatabase(n = 1): Promise<pg.Pool[]> {
    const name = uniqueDatabaseName('mig')
    const url = await createTestDatabase(name, { template: 'empty' })
    const pools = Array.from({ length: n }, () => openPool({ url, pool: 2 }))
    opened.push({ name, pools })
    return pools
  }

  afterEach(async () => {
    for (const { name, pools } of opened.splice(0)) {
      await Promise.all(pools.map((p) => p.end()))
      await dropTestDatabase(name)
    }
  })

  const versions = async (p: pg.Pool) =>
    (
      await p.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY 1')
    ).rows.map((r) => r.version)

  it('numbers its steps as SQLite does, and builds the whole schema on an empty database', async () => {
    expect(PG_SCHEMA_VERSION).toBe(SQLITE_SCHEMA_VERSION)
    const [pool] = (await emptyDatabase()) as [pg.Pool]
    const applied: number[] = []
    const r = await migratePostgres(pool, NOW, (m) => applied.push(m.version))
    expect(r).toEqual({ from: 0, to: PG_SCHEMA_VERSION })
    expect(applied).toEqual(PG_MIGRATIONS.map((m) => m.version))
    expect(await versions(pool)).toEqual(applied)
    const { rows } = await pool.query<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    )
    expect(rows.map((r) => r.t)).toEqual([
      'attachments',
      'blobs',
      'bulk_recipients',
      'bulks',
      'consent',
      'consent_history',
      'contacts',
      'erased_message_counts',
      'erasures',
      'idempotency',
      'identities',
      'kv',
      'message_fallbacks',
      'messages',
      'outbox',
      'rate_slots',
      'schema_migrations',
      'thread_events',
      'thread_tags',
      'threads',
      'webchat_fallback_timers',
      'webhook_dead_letters',
      'webhook_outbox',
    ])
    // A second run finds nothing to do.
    expect(await migratePostgres(pool, NOW)).toEqual({
      from: PG_SCHEMA_VERSION,
      to: PG_SCHEMA_VERSION,
    })
  })

  it('three daemons starting together migrate once: each step recorded once, all of them start', async () => {
    const pools = await emptyDatabase(3)
    const results = await Promise.all(pools.map((p) => migratePostgres(p, NOW)))
    expect(results.filter((r) => r.from === 0)).toHaveLength(1)
    expect(results.every((r) => r.to === PG_SCHEMA_VERSION)).toBe(true)
    expect(await versions(pools[0] as pg.Pool)).toEqual(PG_MIGRATIONS.map((m) => m.version))
  })

  it('refuses a database newer than this code and changes nothing', async () => {
    const [pool] = (await emptyDatabase()) as [pg.Pool]
    await migratePostgres(pool, NOW)
    await pool.query(`INSERT INTO schema_migrations VALUES (99, 'future', $1)`, [NOW])
    const error = await migratePostgres(pool, NOW).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SchemaTooNewError)
    expect(error).toMatchObject({ found: 99, known: PG_SCHEMA_VERSION })
    // The lock went with the failed run: the next one gets it (and refuses again).
    await expect(migratePostgres(pool, NOW)).rejects.toBeInstanceOf(SchemaTooNewError)
  })

  it('upgrades a database built by the oldest step set, keeping its rows', async () => {
    const [pool] = (await emptyDatabase()) as [pg.Pool]
    await migratePostgres(pool, NOW, undefined, PG_MIGRATIONS.slice(0, 1))
    await pool.query(
      `INSERT INTO contacts (id, first_name, attributes, created_at, updated_at, last_activity_at)
       VALUES ('ct_1', 'Ana', '{"b":1,"a":2}', $1, $1, $1)`,
      [NOW],
    )
    expect(await migratePostgres(pool, NOW)).toEqual({ from: 1, to: PG_SCHEMA_VERSION })
    const { rows } = await pool.query('SELECT id, attributes, version FROM contacts')
    expect(rows).toEqual([{ id: 'ct_1', attributes: '{"b":1,"a":2}', version: 0 }])
    // Step 4 widened the bulk status check in place.
    await pool.query(
      `INSERT INTO bulks (id, channel, status, author_kind, spec, total, created_at, updated_at)
       VALUES ('bk_1', 'tg', 'failed', 'app', '{}', 0, $1, $1)`,
      [NOW],
    )
  })

  it('backs uniqueness with constraints (unique_violation 23505), partial indexes included', async () => {
    const [pool] = (await emptyDatabase()) as [pg.Pool]
    await migratePostgres(pool, NOW)
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      )
    const contact = (id: string, externalId: string | null) =>
      pool.query(
        `INSERT INTO contacts (id, external_id, created_at, updated_at, last_activity_at)
         VALUES ($1, $2, $3, $3, $3)`,
        [id, externalId, NOW],
      )
    await contact('ct_1', 'shop-1')
    expect(await code(contact('ct_2', 'shop-1'))).toBe('23505')
    // Many contacts without an external id.
    expect(await code(contact('ct_3', null))).toBe('ok')
    expect(await code(contact('ct_4', null))).toBe('ok')
    const identity = (id: string, contactId: string) =>
      pool.query(
        `INSERT INTO identities (id, contact_id, channel, address, created_at)
         VALUES ($1, $2, 'tg', '42', $3)`,
        [id, contactId, NOW],
      )
    await identity('id_1', 'ct_1')
    expect(await code(identity('id_2', 'ct_3'))).toBe('23505')
    expect(
      await code(pool.query(`INSERT INTO blobs VALUES ('../etc', 1, '\\x00', $1)`, [NOW])),
    ).toBe('23514')
  })
})
