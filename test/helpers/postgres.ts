/**
 * A real PostgreSQL for tests (DESIGN §10). `OMNIGATE_TEST_STORE=postgres` runs the store and API
 * suites on PostgreSQL: the global setup (test/postgres-setup.ts) either uses the server named by
 * `OMNIGATE_TEST_PG_URL` (what `.ci/run` starts) or starts a throwaway cluster of its own in a temp
 * dir on a free loopback port, as the `postgres` user when run as root (PostgreSQL refuses root).
 * It builds one migrated template database; each test file copies it (`CREATE DATABASE … TEMPLATE`,
 * a file copy, much faster than migrating) so files never see each other's rows.
 */
import { execFile } from 'node:child_process'
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { inject } from 'vitest'

const run = promisify(execFile)

/** The migrated database every test database is copied from. */
export const TEMPLATE_DB = 'omnigate_test_template'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The server's maintenance URL (database `postgres`), set when the suite runs on PostgreSQL. */
    pgServerUrl: string
  }
}

/** Which store the suites run on: `OMNIGATE_TEST_STORE=postgres`, else SQLite. */
export function testStoreDialect(): 'sqlite' | 'postgres' {
  return process.env.OMNIGATE_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite'
}

/** The server URL from the global setup (or `OMNIGATE_TEST_PG_URL`); throws when there is none. */
export function pgServerUrl(): string {
  const url = inject('pgServerUrl') || process.env.OMNIGATE_TEST_PG_URL
  if (!url) throw new Error('no PostgreSQL for this run: set OMNIGATE_TEST_STORE=postgres')
  return url
}

/** `url` with its database replaced by `db`. */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url)
  u.pathname = `/${db}`
  return u.toString()
}

/** Runs `fn` on one connection to the server's maintenance database. */
export async function onServer<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`

/**
 * A fresh database named `name` (an existing one is dropped first), copied from the migrated
 * template or, with `template: 'empty'`, from `template0` (for migration tests). Returns its URL.
 */
export async function createTestDatabase(
  name: string,
  opts: { template?: 'migrated' | 'empty' } = {},
): Promise<string> {
  const server = pgServerUrl()
  const template = opts.template === 'empty' ? 'template0' : TEMPLATE_DB
  await onServer(server, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`)
    await c.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(template)}`)
  })
  return withDatabase(server, name)
}

/** The database `name`, copied from the migrated template unless it exists (a restart). */
export async function ensureTestDatabase(name: string): Promise<string> {
  const server = pgServerUrl()
  await onServer(server, async (c) => {
    const { rows } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (rows.length === 0) await c.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${TEMPLATE_DB}`)
  })
  return withDatabase(server, name)
}

/** A database name for a test's data folder: the same folder (a restart) gives the same name. */
export function databaseForDir(dir: string): string {
  return `gw_${dir.split('/').pop() ?? dir}`.replace(/\W/g, '_').toLowerCase().slice(0, 63)
}

/** Drops a test database, closing whatever connections are still open on it. */
export async function dropTestDatabase(name: string): Promise<void> {
  await onServer(pgServerUrl(), (c) =>
    c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`),
  )
}

/** A database name unique to this test process and call (PostgreSQL folds and limits names). */
export function uniqueDatabaseName(prefix = 't'): string {
  const rand = Math.random().toString(36).slice(2, 10)
  return `${prefix}_${process.pid}_${rand}`.toLowerCase()
}

export interface PgCluster {
  /** Maintenance URL: `postgres://postgres@127.0.0.1:PORT/postgres`. */
  url: string
  /** The server's log file (read it when a test fails to connect). */
  log: string
  /** Stops the server (immediate: nothing in it is worth a checkpoint) and removes its folder. */
  stop(): Promise<void>
  /** Stops the server (fast), runs `during` while it is down, and starts it again on its port. */
  restart(during?: () => Promise<void>): Promise<void>
}

/** The newest installed PostgreSQL's bin folder, or `OMNIGATE_TEST_PG_BIN`. */
function pgBinDir(): string {
  if (process.env.OMNIGATE_TEST_PG_BIN) return process.env.OMNIGATE_TEST_PG_BIN
  const root = '/usr/lib/postgresql'
  let versions: string[] = []
  try {
    versions = readdirSync(root).filter((v) => /^\d+$/.test(v))
  } catch {
    // not installed: the error below names the package
  }
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0]
  if (!newest) throw new Error(`no PostgreSQL under ${root}: apt-get install postgresql`)
  return join(root, newest, 'bin')
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/** Durability is worthless in a throwaway cluster; connections: pools of parallel test files. */
const SERVER_SETTINGS = [
  '-c fsync=off',
  '-c synchronous_commit=off',
  '-c full_page_writes=off',
  '-c max_connections=300',
]

/**
 * Starts a throwaway cluster on a free loopback port in a temp dir (≈ 3 s: initdb, then start).
 * As root it runs as the `postgres` user, which owns the dir.
 */
export async function startPgCluster(): Promise<PgCluster> {
  const bin = pgBinDir()
  const dir = mkdtempSync(join(tmpdir(), 'omnigate-pg-'))
  const asRoot = process.getuid?.() === 0
  const exec = (cmd: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args])
      : run(join(bin, cmd), args)
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  const data = join(dir, 'data')
  const log = join(dir, 'log')
  const stop = async () => {
    await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await exec('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'])
    // A port found free may be taken before the server binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      const opts = [`-k ${dir}`, '-h 127.0.0.1', `-p ${port}`, ...SERVER_SETTINGS].join(' ')
      const start = () =>
        exec('pg_ctl', ['-D', data, '-o', opts, '-l', log, '-w', '-t', '30', 'start'])
      try {
        await start()
        const restart = async (during?: () => Promise<void>) => {
          await exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'])
          try {
            await during?.()
          } finally {
            await start()
          }
        }
        return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, log, stop, restart }
      } catch (error) {
        if (attempt >= 3) throw error
      }
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/**
 * Records the text of every query sent on connections the pool hands out (`pool.connect()`: a
 * transaction's or a batch's, one round trip each); `pool.query()` is left alone. The array fills
 * as queries go out.
 */
export function recordCheckedOutQueries(pool: pg.Pool): string[] {
  const sent: string[] = []
  const spied = new WeakSet<pg.PoolClient>()
  const connect = pool.connect.bind(pool) as (...a: unknown[]) => unknown
  pool.connect = ((...args: unknown[]) => {
    if (args.length > 0) return connect(...args)
    return (connect() as Promise<pg.PoolClient>).then((client) => {
      // Once per connection: the pool hands the same one out again.
      if (spied.has(client)) return client
      spied.add(client)
      const query = client.query.bind(client) as (...a: unknown[]) => unknown
      client.query = ((q: unknown, ...rest: unknown[]) => {
        sent.push(typeof q === 'string' ? q : (q as { text: string }).text)
        return query(q, ...rest)
      }) as typeof client.query
      return client
    })
  }) as typeof pool.connect
  return sent
}
