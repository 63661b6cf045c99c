import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { pgServerUrl, testStoreDialect, withDatabase } from '../../../test/helpers/postgres.js'
import { connectPostgres, PostgresConnectError } from './connect.js'

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

describe('connectPostgres', () => {
  it('names store.postgres.url, masks the password and says why (nothing listens)', async () => {
    const url = `postgres://app:hunter2@127.0.0.1:${await closedPort()}/omnigate`
    const error = await connectPostgres({ url, pool: 2 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PostgresConnectError)
    const { message, code } = error as PostgresConnectError
    expect(code).toBe('ECONNREFUSED')
    expect(message).toMatch(/^store\.postgres\.url: cannot connect to postgres:\/\/app:\*\*\*@127/)
    expect(message).toMatch(/nothing listens there/)
    expect(message).not.toContain('hunter2')
  })

  it.skipIf(testStoreDialect() !== 'postgres')('a database that does not exist', async () => {
    const url = withDatabase(pgServerUrl(), 'no_such_database')
    const error = await connectPostgres({ url, pool: 1 }).catch((e: unknown) => e)
    expect((error as PostgresConnectError).code).toBe('3D000')
    expect((error as Error).message).toMatch(/the database does not exist/)
  })
})
