/**
 * P7 — PostgreSQL (DESIGN §8, §10): P1's accept and P2's webhook drain, each measured the same way
 * on SQLite and on PostgreSQL in the same run (one daemon each), and on three daemons sharing one
 * PostgreSQL (aggregate figures). Target: PostgreSQL ≥ 0.5× SQLite.
 *
 *   - accept: `POST /v1/messages` to 1 000 existing contacts, a fresh Idempotency-Key each, 64
 *     connections (three daemons: ~22 each, at once), the relay holding every send (accept only,
 *     as P1). Durable before each 202 on both: SQLite `synchronous = FULL`, PostgreSQL with
 *     `fsync` and `synchronous_commit` on (the bench's own cluster keeps them: lib/pg-cluster.mjs).
 *   - drain: 10 000 queued messages (1 000 contacts × 10, written by the store's own accept)
 *     through the webhook channel to a relay answering at once, msg/s from the relay's first
 *     request to its 10 000th distinct Idempotency-Key, and CPU per message of the daemon(s),
 *     the server's processes and the receiver. Smaller than P2's 100 000: the set is
 *     written through the Store contract (the same code for both stores), not by bulk inserts.
 * The PostgreSQL server: `OMNIGATE_BENCH_PG_URL` (a maintenance URL; databases `omnigate_p7_*`
 * are created and dropped there), else a throwaway cluster; P7 is skipped, saying why, when there
 * is neither.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { fillStore } from './store-datasets.mjs'
import { copyDb } from './datasets.mjs'
import { AUTH, webhookChannel, writeConfig } from './lib/config.mjs'
import { benchPostgres } from './lib/pg-cluster.mjs'
import { cpuSeconds, forkHelper, startDaemon, waitHealthy } from './lib/proc.mjs'

const CONTACTS = 1000
const PER_CONTACT = 10
const DRAIN_MESSAGES = CONTACTS * PER_CONTACT
const CONNECTIONS = 64
const DAEMONS = 3
/** Longer than P1's: it also opens each of the 1 000 contacts' threads, on up to three daemons. */
const WARMUP_S = 5
/** Each daemon's pool: DESIGN §10's example (`pool: 10`). */
const POOL = 10
const UNLIMITED = { perSecond: 1_000_000, perRecipient: 1_000 }

export async function runP7({ work, runs, durationS, load }) {
  const server = await benchPostgres()
  if (!server) {
    return {
      notMeasured:
        "no PostgreSQL: install Debian's `postgresql` (its binaries, no service) or set OMNIGATE_BENCH_PG_URL",
    }
  }
  const dir = join(work, 'p7')
  mkdirSync(dir, { recursive: true })
  const db = dbOn(server.url)
  const out = {
    accept: { sqlite: [], postgres: [], three: [] },
    drain: { sqlite: [], postgres: [], three: [] },
  }
  try {
    out.server = await serverSettings(server.url)
    log(
      `P7: PostgreSQL ${out.server.version}, fsync ${out.server.fsync}, synchronous_commit ${out.server.synchronous_commit}`,
    )

    // Data sets: one each, copied per run (a file copy; CREATE DATABASE … TEMPLATE).
    const t0 = Date.now()
    const sqliteSet = join(dir, 'template.db')
    const ids = {}
    ids.sqlite = await fillStore(
      { file: sqliteSet, dataDir: dir },
      { channel: 'sms', contacts: CONTACTS },
    )
    const sqliteQueued = join(dir, 'queued.db')
    await fillStore(
      { file: sqliteQueued, dataDir: dir },
      { channel: 'sms', contacts: CONTACTS, perContact: PER_CONTACT },
    )
    await db.create('omnigate_p7_contacts')
    ids.postgres = await fillStore(
      { file: '', dataDir: dir, postgres: { url: db.url('omnigate_p7_contacts'), pool: POOL } },
      { channel: 'sms', contacts: CONTACTS },
    )
    await db.create('omnigate_p7_queued')
    await fillStore(
      { file: '', dataDir: dir, postgres: { url: db.url('omnigate_p7_queued'), pool: POOL } },
      { channel: 'sms', contacts: CONTACTS, perContact: PER_CONTACT },
    )
    log(`P7: data sets written in ${((Date.now() - t0) / 1000).toFixed(1)} s`)

    const relay = await forkHelper('receiver.mjs')
    try {
      const setups = {
        sqlite: (runDir) => ({ db: copyDb(sqliteSet, join(runDir, 'omnigate.db')) }),
        postgres: async (runDir, name) => ({
          postgres: { url: await db.copy('omnigate_p7_contacts', name), pool: POOL },
        }),
      }
      // Accept: each store's daemon(s) up once, warmed up, then `runs` measurements.
      await relay.request({ cmd: 'mode', mode: 'hold' })
      for (const [kind, count, store] of [
        ['sqlite', 1, 'sqlite'],
        ['postgres', 1, 'postgres'],
        ['three', DAEMONS, 'postgres'],
      ]) {
        const runDir = join(dir, `accept-${kind}`)
        mkdirSync(runDir, { recursive: true })
        const storeCfg = await setups[store](runDir, `omnigate_p7_accept_${kind}`)
        const config = writeConfig(runDir, {
          ...storeCfg,
          dispatcher: '  send_timeout: 1h\n',
          channels: webhookChannel(relay.ready.url, { timeout: '1h' }),
        })
        const daemons = await startAll(config, runDir, count)
        try {
          const spec = (d, connections, s) => ({
            scenario: 'send',
            url: d.url,
            headers: AUTH,
            connections,
            channel: 'sms',
            contactIds: ids[store],
            durationS: s,
          })
          const each = Math.round(CONNECTIONS / count)
          await Promise.all(
            daemons.map((d) => load.request({ cmd: 'run', spec: spec(d, each, WARMUP_S) })),
          )
          for (let i = 0; i < runs; i++) {
            const cpu0 = daemons.reduce((a, d) => a + cpuSeconds(d.pid), 0)
            const pgCpu0 = clusterCpu(out.server.postmaster)
            const rs = (
              await Promise.all(
                daemons.map((d) => load.request({ cmd: 'run', spec: spec(d, each, durationS) })),
              )
            ).map((m) => m.result)
            const r = {
              rps: rs.reduce((a, x) => a + x.rps, 0),
              p99: Math.max(...rs.map((x) => x.p99 ?? 0)),
              ok: rs.reduce((a, x) => a + x.ok, 0),
              responses: rs.reduce((a, x) => a + x.responses, 0),
              errors: rs.reduce((a, x) => a + x.errors, 0),
            }
            const perRequest = (s) => (s * 1e6) / Math.max(1, r.responses)
            r.cpuUsPerRequest = perRequest(
              daemons.reduce((a, d) => a + cpuSeconds(d.pid), 0) - cpu0,
            )
            const pgCpu1 = clusterCpu(out.server.postmaster)
            r.pgCpuUsPerRequest =
              store === 'postgres' && pgCpu0 !== null ? perRequest(pgCpu1 - pgCpu0) : null
            out.accept[kind].push(r)
            log(
              `P7 accept ${kind} run ${i + 1}: ${r.rps.toFixed(0)} req/s (${r.ok}/${r.responses} 2xx, ` +
                `errors ${r.errors}), p99 ${r.p99.toFixed(2)} ms, CPU per request: daemon ` +
                `${r.cpuUsPerRequest.toFixed(0)} µs, PostgreSQL ${r.pgCpuUsPerRequest?.toFixed(0) ?? '—'} µs`,
            )
          }
        } finally {
          await relay.request({ cmd: 'mode', mode: 'ok' })
          await Promise.all(daemons.map((d) => d.stop()))
          await relay.request({ cmd: 'mode', mode: 'hold' })
        }
      }
      await relay.request({ cmd: 'mode', mode: 'ok' })

      // Drain: a fresh copy of the queued set per run and store, the daemon(s) started on it.
      for (let i = 0; i < runs; i++) {
        for (const [kind, count] of [
          ['sqlite', 1],
          ['postgres', 1],
          ['three', DAEMONS],
        ]) {
          const runDir = join(dir, `drain-${kind}-${i}`)
          mkdirSync(runDir, { recursive: true })
          const storeCfg =
            kind === 'sqlite'
              ? { db: copyDb(sqliteQueued, join(runDir, 'omnigate.db')) }
              : {
                  postgres: {
                    url: await db.copy('omnigate_p7_queued', `omnigate_p7_drain_${kind}_${i}`),
                    pool: POOL,
                  },
                }
          const config = writeConfig(runDir, {
            ...storeCfg,
            channels: webhookChannel(relay.ready.url, { rate: UNLIMITED }),
          })
          await relay.request({ cmd: 'reset' })
          const done = relay.request({ cmd: 'expect', n: DRAIN_MESSAGES })
          const cpu0 = { relay: cpuSeconds(relay.pid), server: clusterCpu(out.server.postmaster) }
          const daemons = await startAll(config, runDir, count)
          let r
          let cpu
          try {
            r = await done
            // The daemons' CPU from their start (start-up is ≈ 0.3 s of it: a few % of a drain).
            cpu = {
              daemons: daemons.reduce((a, d) => a + cpuSeconds(d.pid), 0),
              relay: cpuSeconds(relay.pid) - cpu0.relay,
              server:
                kind === 'sqlite' || cpu0.server === null
                  ? null
                  : clusterCpu(out.server.postmaster) - cpu0.server,
            }
          } finally {
            await Promise.all(daemons.map((d) => d.stop()))
          }
          const rate = ((DRAIN_MESSAGES - 1) / (r.doneAt - r.firstAt)) * 1000
          const perMessage = (s) => (s === null ? null : (s * 1e6) / DRAIN_MESSAGES)
          const used = {
            daemonCpuUs: perMessage(cpu.daemons),
            serverCpuUs: perMessage(cpu.server),
            relayCpuUs: perMessage(cpu.relay),
          }
          out.drain[kind].push({ rate, requests: r.total, ...used })
          log(
            `P7 drain ${kind} run ${i + 1}: ${rate.toFixed(0)} msg/s (${r.total} requests for ${DRAIN_MESSAGES} messages), ` +
              `CPU per message: daemon ${used.daemonCpuUs.toFixed(0)} µs, PostgreSQL ` +
              `${used.serverCpuUs?.toFixed(0) ?? '—'} µs, receiver ${used.relayCpuUs.toFixed(0)} µs`,
          )
          if (kind !== 'sqlite') await db.drop(`omnigate_p7_drain_${kind}_${i}`)
        }
      }
    } finally {
      await relay.close()
    }
  } finally {
    await db.dropAll().catch(() => undefined)
    await server.stop()
  }
  return out
}

/** Starts `count` daemons on one config together; every one healthy before the load. */
async function startAll(config, runDir, count) {
  const daemons = await Promise.all(
    Array.from({ length: count }, (_, n) =>
      startDaemon({ config, logFile: join(runDir, `daemon-${n}.log`) }),
    ),
  )
  await Promise.all(daemons.map((d) => waitHealthy(d.url)))
  return daemons
}

/** Databases of the bench on the server at `serverUrl` (its maintenance database). */
function dbOn(serverUrl) {
  const made = new Set()
  const url = (name) => {
    const u = new URL(serverUrl)
    u.pathname = `/${name}`
    return u.toString()
  }
  const onServer = async (sql) => {
    const c = new pg.Client({ connectionString: serverUrl })
    await c.connect()
    try {
      return await c.query(sql)
    } finally {
      await c.end()
    }
  }
  const drop = async (name) => {
    await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    made.delete(name)
  }
  return {
    url,
    drop,
    /**
     * A new database for a data set: its commits do not wait for the WAL flush while it is
     * filled (a setting of this database alone; its copies, the databases measured, do not
     * inherit it).
     */
    async create(name) {
      await drop(name)
      await onServer(`CREATE DATABASE ${name}`)
      await onServer(`ALTER DATABASE ${name} SET synchronous_commit = off`)
      made.add(name)
    },
    /** A copy of `from` (no one connected to it) named `name`; its URL. */
    async copy(from, name) {
      await drop(name)
      // The data set's filler has closed its pool, but the server may not have ended those
      // sessions yet (55006 "being accessed by other users"): wait for them, briefly.
      for (let tries = 1; ; tries++) {
        try {
          await onServer(`CREATE DATABASE ${name} TEMPLATE ${from}`)
          break
        } catch (error) {
          if (error?.code !== '55006' || tries >= 50) throw error
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }
      made.add(name)
      return url(name)
    },
    async dropAll() {
      for (const name of [...made]) await drop(name)
    },
  }
}

async function serverSettings(serverUrl) {
  const c = new pg.Client({ connectionString: serverUrl })
  await c.connect()
  try {
    const get = async (s) => (await c.query(`SHOW ${s}`)).rows[0][s]
    let postmaster = null
    try {
      // Readable when the cluster is ours (or we are root): its processes' CPU per request.
      const pidFile = join(await get('data_directory'), 'postmaster.pid')
      postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
    } catch {
      // a server elsewhere: no CPU figure for it
    }
    return {
      postmaster,
      version: await get('server_version'),
      fsync: await get('fsync'),
      synchronous_commit: await get('synchronous_commit'),
    }
  } finally {
    await c.end()
  }
}

/** CPU seconds of the server: the postmaster and its children (backends, WAL writer …). */
function clusterCpu(postmaster) {
  if (!postmaster) return null
  let total = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
      // ppid is field 4 of stat(5); utime, stime 14 and 15, in ticks of 1/100 s; cutime and
      // cstime (16, 17): the postmaster's children that ended and were reaped — a backend whose
      // connection closed during the run keeps counting there instead of vanishing.
      if (Number(pid) === postmaster)
        total +=
          (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100
      else if (Number(fields[1]) === postmaster)
        total += (Number(fields[11]) + Number(fields[12])) / 100
    } catch {
      // gone meanwhile
    }
  }
  return total
}

function log(s) {
  process.stderr.write(`${s}\n`)
}
