import { describe, expect, it } from 'vitest'
import { startPgCluster, testStoreDialect } from '../../../test/helpers/postgres.js'
import { storeFault } from '../store-fault.js'
import { connectionLost } from './pg-faults.js'
import { openPostgresStore } from './open-postgres.js'

const err = (code: string) => Object.assign(new Error('x'), { code })

describe('PostgreSQL store faults', () => {
  it.each([
    ['57P01', 'busy'],
    ['57P03', 'busy'],
    ['08006', 'busy'],
    ['08P01', 'busy'],
    ['40P01', 'busy'],
    ['53100', 'full'],
    ['58030', 'io'],
  ])('%s is a %s fault', (code, kind) => {
    expect(storeFault(err(code))).toEqual({ kind, code })
  })

  it.each(['23505', '22P02', '42P01', '42601', 'ECONNREFUSED'])(
    '%s (a bug or bad data) is no fault',
    (code) => {
      expect(storeFault(err(code))).toBeNull()
    },
  )

  it("gives pg's code-less connection losses a code, and leaves other errors alone", () => {
    const lost = connectionLost(new Error('Connection terminated unexpectedly'))
    expect(storeFault(lost)).toEqual({ kind: 'busy', code: '08006' })
    expect(storeFault(connectionLost(err('ECONNREFUSED')))).toEqual({ kind: 'busy', code: '08006' })
    expect(storeFault(connectionLost(new Error('something else')))).toBeNull()
  })

  it.skipIf(testStoreDialect() !== 'postgres')(
    'a server that stops under a running store: calls fail as store faults, then work again',
    async () => {
      // A cluster of this test's own: the shared one must keep running for the other files.
      const cluster = await startPgCluster()
      try {
        const store = await openPostgresStore({ url: cluster.url, pool: 2 })
        try {
          await store.kv.set('s', 'k', 'before')
          await cluster.restart(async () => {
            const error = await store.kv.get('s', 'k').catch((e: unknown) => e)
            expect(storeFault(error)).toMatchObject({ kind: 'busy' })
          })
          // The pool reconnects by itself: nothing to do but call again.
          expect(await store.kv.get('s', 'k')).toBe('before')
        } finally {
          await store.close()
        }
      } finally {
        await cluster.stop()
      }
    },
  )
})
