import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import {
  createTestDatabase,
  dropTestDatabase,
  testStoreDialect,
  uniqueDatabaseName,
} from '../../../test/helpers/postgres.js'
import { openPool } from './pool.js'

describe.skipIf(testStoreDialect() !== 'postgres')('openPool (PostgreSQL)', () => {
  const name = uniqueDatabaseName('pool')
  let pool: pg.Pool

  beforeAll(async () => {
    pool = openPool({ url: await createTestDatabase(name, { template: 'empty' }), pool: 2 })
  })
  afterAll(async () => {
    await pool.end()
    await dropTestDatabase(name)
  })

  it('reads bigint as a number and json as the stored text, key order kept', async () => {
    const { rows } = await pool.query<{ ms: unknown; doc: unknown; n: unknown }>(
      `SELECT 1735689600000::bigint AS ms, '{"b":1,"a":[2]}'::json AS doc, count(*) AS n
         FROM generate_series(1, 3)`,
    )
    expect(rows[0]).toEqual({ ms: 1735689600000, doc: '{"b":1,"a":[2]}', n: 3 })
  })

  it('gives each test file a database of its own', async () => {
    await pool.query('CREATE TABLE mine (x int)')
    const other = uniqueDatabaseName('pool')
    const otherPool = openPool({
      url: await createTestDatabase(other, { template: 'empty' }),
      pool: 1,
    })
    try {
      const { rows } = await otherPool.query(`SELECT to_regclass('mine') AS t`)
      expect(rows[0]).toEqual({ t: null })
    } finally {
      await otherPool.end()
      await dropTestDatabase(other)
    }
  })
})
