import type pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  dropTestDatabase,
  recordCheckedOutQueries,
  testStoreDialect,
  uniqueDatabaseName,
} from '../../../test/helpers/postgres.js'
import { sqlOnPool, type Statement } from './exec.js'
import { openPool } from './pool.js'
import { readGroup } from './read-group.js'

describe.skipIf(testStoreDialect() !== 'postgres')('reads of one turn (read-group.ts)', () => {
  let pool: pg.Pool
  let name: string
  /** Queries sent on checked-out connections (one round trip each). */
  let sent: string[]

  beforeEach(async () => {
    name = uniqueDatabaseName('readgroup')
    pool = openPool({ url: await createTestDatabase(name), pool: 4 })
    sent = recordCheckedOutQueries(pool)
    await pool.query('CREATE TABLE rg_t (id text PRIMARY KEY, n int)')
    await pool.query(`INSERT INTO rg_t SELECT 'k' || g, g FROM generate_series(1, 400) g`)
  })
  afterEach(async () => {
    await pool.end()
    await dropTestDatabase(name)
  })

  const BY_ID = 'SELECT n FROM rg_t WHERE id = $1'
  const COUNT_ABOVE = 'SELECT count(*)::int AS c FROM rg_t WHERE n > $1'
  const reads = (i: number): Statement[] => [
    [BY_ID, [`k${i}`]],
    [COUNT_ABOVE, [i]],
  ]

  it('sends the reads asked for in one turn as one round trip, each caller its own rows', async () => {
    const group = readGroup(sqlOnPool(pool))
    const answers = await Promise.all([1, 2, 3, 4, 5].map((i) => group.many(reads(i))))
    expect(answers).toEqual([1, 2, 3, 4, 5].map((i) => [[{ n: i }], [{ c: 400 - i }]]))
    expect(sent).toHaveLength(1)
    expect(sent[0]?.match(/EXECUTE /g)).toHaveLength(10)
    // A later turn is a batch of its own (the texts are prepared on that connection by now).
    expect(await group.many(reads(7))).toEqual([[{ n: 7 }], [{ c: 393 }]])
    expect(sent).toHaveLength(2)
  })

  it('gives a failing statement to its own caller only', async () => {
    const group = readGroup(sqlOnPool(pool))
    const asked = [
      group.many(reads(1)),
      group.many([['SELECT n / 0 FROM rg_t WHERE id = $1', ['k1']]]),
      group.many(reads(2)),
    ]
    const [first, broken, second] = await Promise.allSettled(asked)
    expect(first).toEqual({ status: 'fulfilled', value: [[{ n: 1 }], [{ c: 399 }]] })
    expect(broken).toMatchObject({ status: 'rejected', reason: { code: '22012' } })
    expect(second).toEqual({ status: 'fulfilled', value: [[{ n: 2 }], [{ c: 398 }]] })
  })

  it('splits a turn with more statements than one batch takes, keeping each caller whole', async () => {
    const group = readGroup(sqlOnPool(pool))
    const ids = Array.from({ length: 300 }, (_, i) => i + 1)
    const answers = await Promise.all(ids.map((i) => group.many(reads(i))))
    expect(answers).toEqual(ids.map((i) => [[{ n: i }], [{ c: 400 - i }]]))
    // 600 statements at most 256 a batch, no caller split across two.
    expect(sent.length).toBe(3)
    for (const q of sent) expect(q.match(/EXECUTE /g)?.length ?? 0).toBeLessThanOrEqual(256)
  })
})
