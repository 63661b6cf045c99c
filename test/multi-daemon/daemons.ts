/**
 * Several real daemons (`node bin/omnigate.js serve --config FILE`, from dist/) on one PostgreSQL
 * database, as DESIGN §10 runs them behind a load balancer: each gets its own config file (same
 * keys, same store, same channels) and log file in `dir`. `socketPorts(pid)` reads which local TCP
 * ports a process holds (Linux /proc), so a relay can tell which daemon a request came from.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { startDaemon, type Daemon } from '../reliability/helpers/daemon.js'

export type { Daemon }

/** The suite's API key (a throwaway, only ever used against local daemons). */
const API_KEY = 'multi-daemon-admin-key-0123456789'
const AUTH = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }

/** The config every daemon of a suite shares: `store.postgres` plus the given blocks. */
export function daemonConfig(opts: {
  pgUrl: string
  dispatcher: string
  channels: string
}): string {
  const sha = createHash('sha256').update(API_KEY).digest('hex')
  return `server:
  listen: 127.0.0.1:0
  rate_limit: { per_second: 1000000, burst: 1000000 }
auth:
  keys:
    - { id: ops, role: admin, sha256: "${sha}" }
store:
  postgres: { url: "${opts.pgUrl}", pool: 4 }
dispatcher:
${opts.dispatcher}channels:
${opts.channels}`
}

/**
 * Starts `count` daemons at once on `config`; their logs are `<dir>/daemon-<n>.log`, their ids
 * (`OMNIGATE_DAEMON_ID`, what `owner` names) `md-<n>`.
 */
export async function startDaemons(dir: string, config: string, count: number): Promise<Daemon[]> {
  const file = join(dir, 'gateway.config.yaml')
  writeFileSync(file, config)
  return Promise.all(
    Array.from({ length: count }, (_, n) =>
      startDaemon({
        config: file,
        logFile: join(dir, `daemon-${n}.log`),
        env: { OMNIGATE_LOG_LEVEL: 'info', OMNIGATE_DAEMON_ID: `md-${n}` },
      }),
    ),
  )
}

/** An API call with the suite's key; the body parsed as JSON. */
export async function api(
  d: Daemon,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${d.url}${path}`, {
    method,
    headers: { ...AUTH, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** The local ports of the TCP sockets process `pid` holds open (IPv4 and IPv6). */
export function socketPorts(pid: number): Set<number> {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m?.[1]) inodes.add(m[1])
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue // no IPv6
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      // local_address is field 1 ("0100007F:D431"), the inode field 9.
      if (f.length > 9 && inodes.has(f[9] ?? '')) ports.add(parseInt(f[1]?.split(':')[1] ?? '', 16))
    }
  }
  return ports
}

/** The last lines of a daemon's log, for a failure message. */
export function logTail(dir: string, n: number, lines = 30): string {
  try {
    return readFileSync(join(dir, `daemon-${n}.log`), 'utf8')
      .split('\n')
      .slice(-lines)
      .join('\n')
  } catch {
    return ''
  }
}

/** Whether the database at `url` has table `name` (a feature of this build's migrations). */
export async function hasTable(url: string, name: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    const { rows } = await c.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [name])
    return rows[0]?.t !== null && rows[0]?.t !== undefined
  } finally {
    await c.end()
  }
}
