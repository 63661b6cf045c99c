import type pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  dropTestDatabase,
  recordCheckedOutQueries,
  testStoreDialect,
  uniqueDatabaseName,
} from '../../../test/helpers/postgres.js'
import { inTransaction, sqlOnPool } from './exec.js'
import { openPool } from './pool.js'

describe.skipIf(testStoreDialect() !== 'postgres')('transactions on pg (exec.ts)', () => {
  let pool: pg.Pool
  let name: string
  /** Queries sent on checked-out connections (one round trip each). */
  let sent: string[]

  beforeEach(async () => {
    name = uniqueDatabaseName('exec')
    pool = openPool({ url: await createTestDatabase(name), pool: 2 })
    sent = recordCheckedOutQueries(pool)
    await pool.query(
      'CREATE TABLE exec_t (s text, n bigint, b boolean, j json, a text[], y bytea, z text)',
    )
  })
  afterEach(async () => {
    await pool.end()
    await dropTestDatabase(name)
  })

  const INSERT = 'INSERT INTO exec_t (s, n, b, j, a, y, z) VALUES ($1, $2, $3, $4, $5, $6, $7)'

  it('later() writes go with the next read and with COMMIT: two round trips in all', async () => {
    const n = await inTransaction(pool, async (s) => {
      await s.later(INSERT, ['one', 1, true, '{}', [], null, null])
      await s.later(INSERT, ['two', 2, false, '[]', [], null, null])
      const rows = await s.rows<{ n: number }>('SELECT count(*)::int AS n FROM exec_t')
      await s.later(INSERT, ['three', 3, false, 'null', [], null, null])
      return rows[0]?.n
    })
    expect(n).toBe(2) // the read ran after the two writes before it
    expect(sent).toHaveLength(2)
    // Each text prepared once on the connection (at the front), then run by name.
    expect(sent[0]).toMatch(
      /^PREPARE (ogp_\w+) AS INSERT [^;]*;\nPREPARE (ogp_\w+) AS SELECT count[^;]*;\nBEGIN;\nEXECUTE \1\('one', [^;]*;\nEXECUTE \1\('two', [^;]*;\nEXECUTE \2$/s,
    )
    expect(sent[1]).toMatch(/^EXECUTE ogp_\w+\('three', [^;]*;\nCOMMIT$/s)
    expect((await pool.query('SELECT count(*)::int AS n FROM exec_t')).rows[0]).toEqual({ n: 3 })
  })

  it('an inlined value reads back exactly as the same value sent as a parameter', async () => {
    const nasty = `it's a \\ back'slash "quote" ; -- not a comment $1 ${'\u00e9\u{1f600}'}`
    const values = [
      nasty,
      9007199254740991,
      true,
      JSON.stringify({ k: nasty }),
      [nasty, 'b'],
      Buffer.from([0, 0x5c, 0x27, 255]),
      null,
    ]
    await inTransaction(pool, async (s) => {
      await s.later(INSERT, values) // inlined
      await s.run(INSERT, values) // a parameter of the extended protocol
    })
    const rows = (await pool.query('SELECT s, n, b, j, a, y, z FROM exec_t')).rows
    expect(rows).toHaveLength(2)
    expect(rows[0]).toEqual(rows[1])
    expect(rows[0]).toEqual({
      s: nasty,
      n: 9007199254740991,
      b: true,
      j: JSON.stringify({ k: nasty }),
      a: [nasty, 'b'],
      y: Buffer.from([0, 0x5c, 0x27, 255]),
      z: null,
    })
  })

  it('a deferred write that fails fails the statement it went with, and the transaction rolls back', async () => {
    await pool.query('ALTER TABLE exec_t ADD CONSTRAINT exec_t_pos CHECK (n > 0)')
    const done = inTransaction(pool, async (s) => {
      await s.run(INSERT, ['kept?', 1, true, '{}', [], null, null])
      await s.later(INSERT, ['bad', -1, true, '{}', [], null, null])
      await s.one('SELECT 1')
    })
    await expect(done).rejects.toMatchObject({ code: '23514' })
    expect(sent.at(-1)).toBe('ROLLBACK')
    expect((await pool.query('SELECT count(*)::int AS n FROM exec_t')).rows[0]).toEqual({ n: 0 })
  })

  it('many() reads several statements in one round trip, after the pending writes', async () => {
    const [count, strings] = await inTransaction(pool, async (s) => {
      await s.later(INSERT, ["it's", 1, true, '{}', [], null, null])
      return s.many([
        ['SELECT count(*)::int AS n FROM exec_t WHERE n = $1', [1]],
        ['SELECT s FROM exec_t WHERE s = $1 ORDER BY s', ["it's"]],
      ])
    })
    expect(count).toEqual([{ n: 1 }])
    expect(strings).toEqual([{ s: "it's" }])
    expect(sent).toHaveLength(2)
    expect(sent[0]).toMatch(
      /^(PREPARE [^;]*;\n){3}BEGIN;\nEXECUTE [^;]*;\nEXECUTE [^;]*\('1'\);\nEXECUTE [^;]*\('it''s'\)$/s,
    )
    expect(sent[1]).toBe('COMMIT')
    // On the pool: one query, the rows of each statement in order.
    expect(
      await sqlOnPool(pool).many([
        ['SELECT $1::int AS a', [1]],
        ['SELECT s FROM exec_t WHERE n = $1', [2]],
        ['SELECT $1::text AS b', ['x']],
      ]),
    ).toEqual([[{ a: 1 }], [], [{ b: 'x' }]])
    // One implicit transaction: a SET LOCAL holds for the statements after it (rate-slots.ts).
    expect(
      await sqlOnPool(pool).many([
        ['SET LOCAL synchronous_commit = off', []],
        ["SELECT current_setting('synchronous_commit') AS v", []],
      ]),
    ).toEqual([[], [{ v: 'off' }]])
  })

  it('manyAndCommit() sends COMMIT with its batch: one round trip, nothing after it', async () => {
    const rows = await inTransaction(pool, async (s) => {
      await s.later(INSERT, ['a', 1, true, '{}', [], null, null])
      return s.manyAndCommit([['SELECT count(*)::int AS n FROM exec_t', []]])
    })
    expect(rows).toEqual([[{ n: 1 }]])
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatch(/^(PREPARE [^;]*;\n){2}BEGIN;\nEXECUTE [^;]*;\nEXECUTE \w+;\nCOMMIT$/s)
    expect((await pool.query('SELECT count(*)::int AS n FROM exec_t')).rows[0]).toEqual({ n: 1 })
    // A statement after the last batch is a bug: it throws and the commit stands.
    const late = inTransaction(pool, async (s) => {
      await s.manyAndCommit([['SELECT 1 AS one', []]])
      await s.run(INSERT, ['b', 2, true, '{}', [], null, null])
    })
    await expect(late).rejects.toThrow(/committed by its last batch/)
    expect((await pool.query('SELECT count(*)::int AS n FROM exec_t')).rows[0]).toEqual({ n: 1 })
    // A batch that fails fails its COMMIT with it: the transaction is rolled back.
    await pool.query('ALTER TABLE exec_t ADD CONSTRAINT exec_t_pos CHECK (n > 0)')
    const bad = inTransaction(pool, async (s) => {
      await s.later(INSERT, ['c', 3, true, '{}', [], null, null])
      await s.manyAndCommit([['INSERT INTO exec_t (s, n) VALUES ($1, $2)', ['d', -1]]])
    })
    await expect(bad).rejects.toMatchObject({ code: '23514' })
    expect((await pool.query('SELECT count(*)::int AS n FROM exec_t')).rows[0]).toEqual({ n: 1 })
  })

  it('a connection prepares a text once; after a failed batch that prepared, it is dropped', async () => {
    const one = openPool({ url: pool.options.connectionString ?? '', pool: 1 })
    try {
      const pids = new Set<number>()
      const insert = (n: number) =>
        inTransaction(one, async (s) => {
          await s.later(INSERT, ['p', n, true, '{}', [], null, null])
          const [row] = await s.rows<{ pid: number }>('SELECT pg_backend_pid() AS pid')
          if (row) pids.add(row.pid)
        })
      const prepared = async () =>
        (await one.query('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows[0] as {
          n: number
        }
      await insert(1)
      await insert(2)
      expect(pids.size).toBe(1) // one connection throughout
      // The insert and the pid read, each prepared once (the count is its own query's, unnamed).
      expect(await prepared()).toEqual({ n: 2 })
      // A batch carrying a new PREPARE fails (a check violation): the connection is not reused.
      await one.query('ALTER TABLE exec_t ADD CONSTRAINT exec_t_small CHECK (n < 100)')
      const failing = inTransaction(one, async (s) => {
        await s.later(INSERT, ['p', 500, true, '{}', [], null, null])
        await s.one('SELECT n FROM exec_t WHERE n = $1', [1])
      })
      await expect(failing).rejects.toMatchObject({ code: '23514' })
      await insert(3)
      expect(pids.size).toBe(2)
      expect((await one.query('SELECT count(*)::int AS n FROM exec_t')).rows[0]).toEqual({ n: 3 })
    } finally {
      await one.end()
    }
  })

  it('a pool many() prepares its texts once per connection; a failed batch that prepared drops it', async () => {
    const READS: [string, unknown[]][] = [
      ['SELECT pg_backend_pid() AS pid', []],
      ['SELECT count(*)::int AS n FROM exec_t WHERE n < $1', [10]],
    ]
    const pidOf = (rows: unknown[][]) => (rows[0]?.[0] as { pid: number }).pid
    const first = await sqlOnPool(pool).many(READS)
    const second = await sqlOnPool(pool).many(READS)
    expect(pidOf(second)).toBe(pidOf(first)) // the connection the first left idle
    expect(sent).toHaveLength(2)
    expect(sent[0]).toMatch(
      /^PREPARE (ogp_\w+) AS [^;]*;\nPREPARE (ogp_\w+) AS [^;]*;\nEXECUTE \1;\nEXECUTE \2\('10'\)$/s,
    )
    expect(sent[1]).toMatch(/^EXECUTE ogp_\w+;\nEXECUTE ogp_\w+\('10'\)$/s)
    expect(second[1]).toEqual([{ n: 0 }])
    // A new text that fails (division by zero) with its PREPARE in front: that connection goes.
    const failing = sqlOnPool(pool).many([
      ['SELECT pg_backend_pid() AS pid', []],
      ['SELECT 1 / $1::int AS q', [0]],
    ])
    await expect(failing).rejects.toMatchObject({ code: '22012' })
    const after = await sqlOnPool(pool).many(READS)
    expect(pidOf(after)).not.toBe(pidOf(first))
    // A new connection prepares afresh.
    expect(sent.at(-1)).toMatch(/^PREPARE /)
  })

  it('a failed batch with PREPAREs that a savepoint got over still drops the connection', async () => {
    const one = openPool({ url: pool.options.connectionString ?? '', pool: 1 })
    try {
      await one.query('ALTER TABLE exec_t ADD CONSTRAINT exec_t_small CHECK (n < 100)')
      const READ = 'SELECT count(*)::int AS n FROM exec_t WHERE s = $1'
      await inTransaction(one, async (s) => {
        await s.run('SAVEPOINT a')
        await s.later(INSERT, ['big', 500, true, '{}', [], null, null])
        // The INSERT's and the read's PREPAREs go in front of this batch; the INSERT fails.
        await expect(s.one(READ, ['big'])).rejects.toMatchObject({ code: '23514' })
        await s.run('ROLLBACK TO a')
        await s.run(INSERT, ['small', 1, true, '{}', [], null, null])
      })
      // The same texts again: on the same connection their PREPAREs would be refused (42P05).
      const n = await inTransaction(one, async (s) => {
        await s.later(INSERT, ['small', 2, true, '{}', [], null, null])
        return (await s.one<{ n: number }>(READ, ['small']))?.n
      })
      expect(n).toBe(2)
    } finally {
      await one.end()
    }
  })

  it('a transaction that sends nothing costs no round trip', async () => {
    expect(await inTransaction(pool, () => Promise.resolve(7))).toBe(7)
    expect(sent).toEqual([])
  })
})
