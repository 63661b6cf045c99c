/**
 * P4 — search: `GET /v1/contacts?q=<prefix>` over 1 000 000 contacts (FTS5, newest activity
 * first, the API's default page of 50), random prefixes of first names, last names, email local
 * parts and phone numbers, one request at a time: latency percentiles of every response.
 *
 * One connection: the target is the latency of one search (a person typing in a search box).
 * More closed-loop connections on 2 cores measure queueing behind other searches instead (with 4,
 * p95 is about 4× the single-connection figure).
 * The 1 M-contact database is generated once here and reused by P5 (start-to-healthy).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { generateContacts, nameLists, phoneOf, prng } from './datasets.mjs'
import { AUTH, webhookChannel, writeConfig } from './lib/config.mjs'
import { startDaemon, waitHealthy } from './lib/proc.mjs'

export const P4_CONTACTS = 1_000_000
const CONNECTIONS = 1
const WARMUP_S = 2

/** 5 000 queries: 40 % first-name, 30 % last-name, 15 % email, 15 % phone prefixes. */
function searchQueries(seed = 11) {
  const rand = prng(seed)
  const { first, last } = nameLists()
  const pick = (list) => list[Math.floor(rand() * list.length)]
  const prefix = (s, min, max) => s.slice(0, min + Math.floor(rand() * (max - min + 1)))
  const out = []
  for (let i = 0; i < 5000; i++) {
    const r = rand()
    if (r < 0.4) out.push(prefix(pick(first), 2, 5))
    else if (r < 0.7) out.push(prefix(pick(last), 3, 7))
    else if (r < 0.85)
      out.push(`${pick(first).toLowerCase()}.${prefix(pick(last).toLowerCase(), 1, 4)}`)
    else out.push(prefix(phoneOf(Math.floor(rand() * P4_CONTACTS)).replace('+49', '0'), 4, 9))
  }
  return out
}

export async function runP4({ work, runs, durationS, load, shared }) {
  const dir = join(work, 'p4')
  mkdirSync(dir, { recursive: true })
  const db = join(dir, 'omnigate.db')
  const t0 = Date.now()
  generateContacts(db, { count: P4_CONTACTS })
  log(`P4: ${P4_CONTACTS} contacts generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  if (shared) shared.millionDb = db
  const config = writeConfig(dir, {
    db,
    channels: webhookChannel('http://127.0.0.1:9/unused'),
  })
  const daemon = await startDaemon({ config, logFile: join(dir, 'daemon.log') })
  const out = { runs: [] }
  try {
    await waitHealthy(daemon.url)
    const spec = {
      scenario: 'search',
      url: daemon.url,
      headers: AUTH,
      connections: CONNECTIONS,
      queries: searchQueries(),
    }
    await load.request({ cmd: 'run', spec: { ...spec, durationS: WARMUP_S } })
    for (let i = 0; i < runs; i++) {
      const r = (await load.request({ cmd: 'run', spec: { ...spec, durationS } })).result
      if (r.ok !== r.responses) throw new Error(`P4: ${r.responses - r.ok} searches failed`)
      out.runs.push(r)
      log(
        `P4 run ${i + 1}: p50 ${r.p50.toFixed(2)} p95 ${r.p95.toFixed(2)} p99 ${r.p99.toFixed(2)} ms, ` +
          `${r.rps.toFixed(0)} req/s`,
      )
    }
  } finally {
    await daemon.stop()
  }
  return out
}

function log(s) {
  process.stderr.write(`${s}\n`)
}
