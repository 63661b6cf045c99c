import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  dropTestDatabase,
  testStoreDialect,
  uniqueDatabaseName,
} from '../../../test/helpers/postgres.js'
import { openStore } from '../index.js'
import { Fx } from '../test-fixtures.js'
import type { Store } from '../types.js'

describe.skipIf(testStoreDialect() !== 'postgres')('group commit on PostgreSQL', () => {
  let name: string
  let url: string
  let dir: string
  let store: Store
  let fx: Fx
  /** A session of its own, outside the store's pool. */
  let other: pg.Client

  beforeEach(async () => {
    name = uniqueDatabaseName('group')
    url = await createTestDatabase(name)
    dir = mkdtempSync(join(tmpdir(), 'omnigate-group-'))
    store = await openStore({
      file: join(dir, 'unused.db'),
      dataDir: dir,
      postgres: { url, pool: 4 },
    })
    fx = new Fx(store)
    other = new pg.Client({ connectionString: url })
    await other.connect()
  })
  afterEach(async () => {
    await other.end()
    await store.close()
    await dropTestDatabase(name)
    rmSync(dir, { recursive: true, force: true })
  })

  /** The server's next transaction id: how many write transactions (and subtransactions) began. */
  const nextXid = async (): Promise<number> =>
    Number(
      (await other.query<{ x: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot()) AS x'))
        .rows[0]?.x,
    )

  it('accepts of one turn commit together, without a savepoint each', async () => {
    const ids: string[] = []
    for (let i = 0; i < 40; i++) ids.push((await fx.contact({ first_name: `C${i}` })).id)
    const plans = ids.map((id) => fx.outPlan(id))
    const idem = { keyId: 'key_1', key: 'k-1', bodyHash: 'h', status: 202, response: '{}' }
    // The same key twice (on two more contacts): the second waits for a later group and replays.
    const more = [(await fx.contact()).id, (await fx.contact()).id]
    const keyed = more
      .map((id) => fx.outPlan(id))
      .map((p) => ({
        ...p,
        idempotency: idem,
      }))
    const before = await nextXid()
    const outcomes = await Promise.all([...plans, ...keyed].map((p) => store.accept(p)))
    const used = (await nextXid()) - before
    expect(outcomes.slice(0, 40).every((o) => o.ok)).toBe(true)
    expect(outcomes[40]).toMatchObject({ ok: true })
    expect(outcomes[41]).toEqual({
      ok: false,
      code: 'idempotency_replay',
      bodyHash: 'h',
      status: 202,
      response: '{}',
    })
    // One transaction per accept would take 42 ids; a group of 40 with savepoints, 41.
    expect(used).toBeLessThanOrEqual(6)
    expect(await store.outbox.depth()).toBe(41)
  })

  it('a plan that fails after writing is undone alone; the rest of its group commits', async () => {
    const ana = await fx.contact({ first_name: 'Ana' }).thread('tg')
    const bob = (await fx.contact({ first_name: 'Bob' })).id
    const cy = (await fx.contact({ first_name: 'Cy' })).id
    // A new thread for Ana, who has one open: a thread conflict, found after the opening.
    const plans = [fx.outPlan(bob), fx.outPlan(ana.id), fx.outPlan(cy)]
    const [b, a, c] = await Promise.all(plans.map((p) => store.accept(p)))
    expect(b?.ok && c?.ok).toBe(true)
    expect(a).toEqual({
      ok: false,
      code: 'thread_conflict',
      thread: { id: ana.threadIds[0], assignee: null },
    })
    expect(await store.messages.get(plans[1]?.message.id ?? '')).toBeNull()
    expect(await store.outbox.depth()).toBe(2)
  })

  it('a deadlock with another session: the group is rolled back and each plan runs alone', async () => {
    const [first, second] = [
      (await fx.contact({ first_name: 'A' })).id,
      (await fx.contact({ first_name: 'B' })).id,
    ].sort()
    if (!first || !second) throw new Error('two contacts')
    const lock = 'SELECT id FROM contacts WHERE id = $1 FOR UPDATE'
    // The other session waits long before looking for a deadlock: the group's backend finds it.
    await other.query("SET deadlock_timeout = '20s'")
    await other.query('BEGIN')
    await other.query(lock, [second])
    // The group locks `first`, then waits for `second`.
    const accepted = Promise.all(
      [fx.outPlan(second), fx.outPlan(first)].map((p) => store.accept(p)),
    )
    await waitFor(async () => (await lockWaits(url)) > 0)
    // Now the other session wants `first`: a circle, which the group's backend breaks within
    // its deadlock_timeout (1 s) by rolling its own transaction back.
    await other.query(lock, [first])
    await other.query('COMMIT')
    const outcomes = await accepted
    expect(outcomes.map((o) => o.ok)).toEqual([true, true])
    expect(await store.outbox.depth()).toBe(2)
  })
})

/** Sessions of the database waiting for a lock. */
async function lockWaits(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    const r = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    )
    return r.rows[0]?.n ?? 0
  } finally {
    await c.end()
  }
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}
