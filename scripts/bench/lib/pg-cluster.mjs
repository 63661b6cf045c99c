/**
 * The bench's PostgreSQL (DESIGN §8, P7): the server at `OMNIGATE_BENCH_PG_URL` when set, else a
 * throwaway cluster started here as a plain process on a free loopback port in a temp dir (as the
 * `postgres` user when run as root: PostgreSQL refuses root), like the test suites' own
 * (test/helpers/postgres.ts). Unlike the tests' cluster, this one keeps its durability settings
 * (`fsync`, `synchronous_commit` on, as a production server has them): P1's figure is "fsync'd
 * before the 202" on both stores. Resolves to null when no PostgreSQL is installed.
 */
import { execFile } from 'node:child_process'
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The newest installed PostgreSQL's bin folder, or null. */
function pgBinDir() {
  if (process.env.OMNIGATE_TEST_PG_BIN) return process.env.OMNIGATE_TEST_PG_BIN
  try {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v))
    const newest = versions.sort((a, b) => Number(b) - Number(a))[0]
    return newest ? join('/usr/lib/postgresql', newest, 'bin') : null
  } catch {
    return null
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/**
 * `{ url, stop(), started }`: `url` is the maintenance URL (database `postgres`); `stop()` stops a
 * cluster started here (immediate) and removes its folder, and does nothing for a given server.
 */
export async function benchPostgres() {
  const given = process.env.OMNIGATE_BENCH_PG_URL
  if (given) return { url: given, started: false, stop: async () => {} }
  const bin = pgBinDir()
  if (!bin) return null
  const dir = mkdtempSync(join(tmpdir(), 'omnigate-bench-pg-'))
  const asRoot = process.getuid?.() === 0
  const exec = (cmd, args) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args])
      : run(join(bin, cmd), args)
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim())
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim())
    chownSync(dir, uid, gid)
  }
  const data = join(dir, 'data')
  const stop = async () => {
    await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await exec('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8'])
    const port = await freePort()
    // Three daemons' pools plus the bench's own connections; durability as shipped.
    const opts = `-k ${dir} -h 127.0.0.1 -p ${port} -c max_connections=200`
    await exec('pg_ctl', [
      '-D',
      data,
      '-o',
      opts,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '60',
      'start',
    ])
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, started: true, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
