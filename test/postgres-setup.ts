/**
 * Global setup of the PostgreSQL pass (`OMNIGATE_TEST_STORE=postgres`, DESIGN §10); does nothing
 * otherwise. Uses the server at `OMNIGATE_TEST_PG_URL` when set (`.ci/run` starts one), else starts
 * a throwaway cluster and stops it at the end. Either way it builds the migrated template database
 * once, so each test file's database is a copy (test/helpers/postgres.ts).
 */
import type { TestProject } from 'vitest/node'
import { migratePostgres } from '../src/store/postgres/migrate.js'
import { openPool } from '../src/store/postgres/pool.js'
import {
  TEMPLATE_DB,
  onServer,
  startPgCluster,
  testStoreDialect,
  withDatabase,
  type PgCluster,
} from './helpers/postgres.js'

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  if (testStoreDialect() !== 'postgres') return
  let cluster: PgCluster | undefined
  const url = process.env.OMNIGATE_TEST_PG_URL ?? (cluster = await startPgCluster()).url
  try {
    await onServer(url, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
      await c.query(`CREATE DATABASE ${TEMPLATE_DB}`)
    })
    const pool = openPool({ url: withDatabase(url, TEMPLATE_DB), pool: 1 })
    try {
      await migratePostgres(pool, new Date().toISOString())
    } finally {
      await pool.end()
    }
  } catch (error) {
    await cluster?.stop()
    throw error
  }
  project.provide('pgServerUrl', url)
  return async () => {
    if (cluster) await cluster.stop()
    else await onServer(url, (c) => c.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`))
  }
}
