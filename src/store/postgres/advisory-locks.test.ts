/**
 * Cluster locks on PostgreSQL (DESIGN §10): one holder at a time, the holder named by its
 * `application_name`, and a holder whose session ends (a kill -9 as the server sees it) loses
 * every lock — told at once — while another daemon's next try takes them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  dropTestDatabase,
  onServer,
  testStoreDialect,
  uniqueDatabaseName,
} from '../../../test/helpers/postgres.js'
import { PgAdvisoryLocks, lockKey } from './advisory-locks.js'

describe('lockKey', () => {
  it('is a stable positive int4, different for different names', () => {
    const keys = ['scheduler', 'channel:tg', 'channel:mail', 'channel:wa'].map(lockKey)
    for (const k of keys) expect(k).toBeGreaterThanOrEqual(0)
    for (const k of keys) expect(k).toBeLessThanOrEqual(0x7fffffff)
    expect(new Set(keys).size).toBe(keys.length)
    expect(lockKey('scheduler')).toBe(lockKey('scheduler'))
  })
})

describe.runIf(testStoreDialect() === 'postgres')('PgAdvisoryLocks', () => {
  let db = ''
  let url = ''
  const open: PgAdvisoryLocks[] = []
  const lost: string[] = []
  const locks = (daemonId: string): PgAdvisoryLocks => {
    const l = new PgAdvisoryLocks({ url, daemonId, onLost: () => lost.push(daemonId) })
    open.push(l)
    return l
  }
  beforeEach(async () => {
    db = uniqueDatabaseName('locks')
    url = await createTestDatabase(db)
    lost.length = 0
  })
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close()
    await dropTestDatabase(db)
  })

  it('gives a lock to one daemon at a time and names it as the owner', async () => {
    const a = locks('gw-a')
    const b = locks('gw-b')
    expect([...(await a.acquire(['scheduler', 'channel:tg']))].sort()).toEqual([
      'channel:tg',
      'scheduler',
    ])
    expect([...(await b.acquire(['scheduler', 'channel:mail']))]).toEqual(['channel:mail'])
    // Asked again, a held lock is not taken twice (session locks stack): one release frees it.
    expect(await a.acquire(['scheduler'])).toEqual(new Set(['scheduler']))
    const owners = await b.owners(['scheduler', 'channel:tg', 'channel:mail', 'channel:none'])
    expect(Object.fromEntries(owners)).toEqual({
      scheduler: 'gw-a',
      'channel:tg': 'gw-a',
      'channel:mail': 'gw-b',
    })
    await a.release('scheduler')
    expect(await b.acquire(['scheduler'])).toEqual(new Set(['scheduler']))
    expect(lost).toEqual([])
  })

  it('loses every lock when its session is killed, and another daemon takes them', async () => {
    const a = locks('gw-a')
    const b = locks('gw-b')
    await a.acquire(['scheduler', 'channel:tg'])
    expect(await b.acquire(['scheduler', 'channel:tg'])).toEqual(new Set())
    const cutAt = Date.now()
    await onServer(url, (c) =>
      c.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = 'gw-a' AND datname = current_database()`,
      ),
    )
    await expect.poll(() => lost, { timeout: 5_000 }).toEqual(['gw-a'])
    // The other daemon's next try (every 2 s in the gateway) gets both.
    await expect
      .poll(async () => [...(await b.acquire(['scheduler', 'channel:tg']))].sort(), {
        timeout: 5_000,
      })
      .toEqual(['channel:tg', 'scheduler'])
    console.info(`locks taken over ${Date.now() - cutAt} ms after the holder's session was killed`)
    // The killed one reconnects and finds them taken.
    expect(await a.acquire(['scheduler', 'channel:tg'])).toEqual(new Set())
    expect(Object.fromEntries(await a.owners(['scheduler']))).toEqual({ scheduler: 'gw-b' })
  })

  it('frees everything on close', async () => {
    const a = locks('gw-a')
    const b = locks('gw-b')
    await a.acquire(['scheduler'])
    await a.close()
    expect(await b.acquire(['scheduler'])).toEqual(new Set(['scheduler']))
    expect(lost).toEqual([])
  })
})
