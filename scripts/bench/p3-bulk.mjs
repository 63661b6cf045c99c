/**
 * P3 — bulk: `POST /v1/bulk` with a filter matching 100 000 contacts (`q` = their email domain;
 * each has an identity on the webhook channel), personalised text — every recipient checked by the
 * rules and enqueued. The figure is from the POST to the moment `GET /v1/bulk/{id}` shows
 * `checked = total` (polled every 50 ms). Meanwhile single sends keep coming, 200 a second from
 * 16 connections, each to a new recipient (`to:`), and their p99 over the bulk's window is the
 * second figure. The relay answers at once, so the dispatcher drains the bulk at the channel's
 * own rate (webhook default, 1 000/s) while it is being enqueued — as it would in production.
 * The daemon's RSS is sampled throughout (P5's "RSS under P3 load").
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { copyDb, generateContacts, runStoreFloor } from './datasets.mjs'
import { AUTH, webhookChannel, writeConfig } from './lib/config.mjs'
import { forkHelper, sampleRss, sleep, startDaemon, waitHealthy } from './lib/proc.mjs'
import { percentile } from './lib/stats.mjs'
import { P1_CONTACTS } from './p1-accept.mjs'

const P3_CONTACTS = 100_000
/** Every bulk recipient's email domain: the bulk's filter (`q`) finds exactly them. */
const BULK_DOMAIN = 'customers.example'
/** Single sends during the bulk: a busy API, not a saturating one (that is P1). */
const SINGLE_RATE = 200
const SINGLE_CONNECTIONS = 16
/** The single sends start this long before the bulk, so the load is steady when it lands. */
const LEAD_MS = 1000
/** Longer than any bulk we expect; the window actually used is the bulk's own. */
const LOAD_S = 20

export async function runP3({ work, runs, load }) {
  const dir = join(work, 'p3')
  mkdirSync(dir, { recursive: true })
  const available = await bulkAvailable(dir)
  if (!available) return { notMeasured: 'not measured: bulk not available' }
  const template = join(dir, 'template.db')
  generateContacts(template, {
    count: P3_CONTACTS,
    identityChannel: 'sms',
    seed: 3,
    emailDomain: BULK_DOMAIN,
  })
  const relay = await forkHelper('receiver.mjs')
  const out = { runs: [] }
  try {
    for (let i = 0; i < runs; i++) {
      const runDir = join(dir, `run-${i}`)
      mkdirSync(runDir, { recursive: true })
      const db = copyDb(template, join(runDir, 'omnigate.db'))
      const config = writeConfig(runDir, { db, channels: webhookChannel(relay.ready.url) })
      const daemon = await startDaemon({ config, logFile: join(runDir, 'daemon.log') })
      try {
        await waitHealthy(daemon.url)
        const rss = sampleRss(daemon.pid)
        const single = load.request({
          cmd: 'run',
          spec: {
            scenario: 'send-new',
            url: daemon.url,
            headers: AUTH,
            connections: SINGLE_CONNECTIONS,
            overallRate: SINGLE_RATE,
            durationS: LOAD_S,
            channel: 'sms',
            // Numbers no generated contact has (those use 0 … P3_CONTACTS + P1_CONTACTS).
            firstPhone: 5_000_000 + i * 100_000 + P1_CONTACTS,
            keepSamples: true,
          },
        })
        await sleep(LEAD_MS)
        const bulk = await runBulk(daemon.url)
        const singles = (await single).result
        const rssMax = rss.stop()
        const inWindow = singles.samples
          .filter(([t]) => t >= bulk.startedAt && t <= bulk.doneAt)
          .map(([, ms]) => ms)
          .sort((a, b) => a - b)
        const r = {
          enqueueS: (bulk.doneAt - bulk.startedAt) / 1000,
          postMs: bulk.postMs,
          total: bulk.total,
          eligible: bulk.eligible,
          skipped: bulk.skipped,
          single: {
            count: inWindow.length,
            p50: percentile(inWindow, 50),
            p99: percentile(inWindow, 99),
            max: inWindow.at(-1) ?? null,
            statuses: singles.statuses,
          },
          rssMaxMb: rssMax,
        }
        out.runs.push(r)
        log(
          `P3 run ${i + 1}: ${r.total} recipients (eligible ${r.eligible}) checked and enqueued in ` +
            `${r.enqueueS.toFixed(2)} s (POST answered in ${r.postMs.toFixed(0)} ms); single sends ` +
            `meanwhile: ${r.single.count}, p99 ${r.single.p99?.toFixed(1)} ms; RSS max ${rssMax.toFixed(0)} MB`,
        )
      } finally {
        // The 100 000 queued messages are not needed (the data is scratch): killed, unless a CPU
        // profile is wanted (BENCH_CPU_PROF), which the daemon writes when it stops on SIGTERM.
        await (process.env.BENCH_CPU_PROF ? daemon.stop() : daemon.kill())
      }
    }
    for (const [i, run] of out.runs.entries()) run.floor = storeFloor(template, dir, i)
  } finally {
    await relay.close()
  }
  return out
}

/**
 * The store floor (bulk-floor.mjs), in a process of its own with no daemon running: the same
 * bulk's store work alone on a copy of the same contacts, the ceiling under which the rules, the
 * API and the dispatcher's drain share the loop.
 */
function storeFloor(template, dir, run) {
  const floor = runStoreFloor(
    new URL('./bulk-floor.mjs', import.meta.url),
    template,
    join(dir, `floor-${run}`),
  )
  log(
    `P3 run ${run + 1} store floor: ${floor.recipients} recipients in ${floor.seconds.toFixed(2)} s, ` +
      `CPU ${floor.cpuUsPerRecipient.toFixed(0)} µs/recipient`,
  )
  return floor
}

/** The bulk route is there when the daemon answers a dry run with 200 (not 404 / 405). */
async function bulkAvailable(dir) {
  const probeDir = join(dir, 'probe')
  mkdirSync(probeDir, { recursive: true })
  const config = writeConfig(probeDir, {
    db: join(probeDir, 'omnigate.db'),
    channels: webhookChannel('http://127.0.0.1:9/unused'),
  })
  const daemon = await startDaemon({ config, logFile: join(probeDir, 'daemon.log') })
  try {
    await waitHealthy(daemon.url)
    const res = await fetch(`${daemon.url}/v1/bulk`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ filter: {}, channel: 'sms', text: 'probe', dry_run: true }),
    })
    await res.arrayBuffer()
    return res.status === 200
  } catch {
    return false
  } finally {
    await daemon.stop()
  }
}

async function runBulk(url) {
  const startedAt = Date.now()
  const res = await fetch(`${url}/v1/bulk`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({
      filter: { q: BULK_DOMAIN },
      channel: 'sms',
      text: 'Hi {{first_name}}, our summer sale starts today: 20 % off everything until Sunday.',
    }),
  })
  const created = await res.json()
  const postMs = Date.now() - startedAt
  if (res.status !== 202)
    throw new Error(`P3: POST /v1/bulk answered ${res.status} ${JSON.stringify(created)}`)
  for (;;) {
    const b = await (await fetch(`${url}/v1/bulk/${created.id}`, { headers: AUTH })).json()
    if (b.checked === b.total) {
      return {
        startedAt,
        doneAt: Date.now(),
        postMs,
        total: b.total,
        eligible: b.eligible,
        skipped: b.skipped,
      }
    }
    await sleep(50)
  }
}

function log(s) {
  process.stderr.write(`${s}\n`)
}
