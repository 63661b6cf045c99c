/**
 * P8 — web chat (DESIGN §12): 2 000 visitors hold the widget's SSE stream open on one daemon
 * (sessions made through the endpoint, streams from a load process: one socket each, like 2 000
 * browsers); then one outbound `POST /v1/messages` to each visitor, 200 a second, at most 16 in
 * flight. Reported: the daemon's highest VmRSS over the run (streams open, sends flowing) and the
 * p99 from a send's 202 to its `message` event on the visitor's stream (one machine, one clock).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AUTH, writeConfig } from './lib/config.mjs'
import {
  cpuSeconds,
  forkHelper,
  rssMb,
  sampleRss,
  sleep,
  startDaemon,
  waitHealthy,
} from './lib/proc.mjs'
import { percentile } from './lib/stats.mjs'

/** `BENCH_P8_VISITORS` overrides it (a smaller run to tell per-stream cost from fixed cost). */
const VISITORS = Number(process.env.BENCH_P8_VISITORS ?? 2_000)
const SEND_CONCURRENCY = 16
/**
 * Sends a second, spread evenly (2 000 in 10 s): an agent team's traffic, not a bulk. A burst of
 * 2 000 at once measures how fast the queue drains (P2's business) instead of the time a message
 * takes to reach an open widget.
 */
const SEND_PER_SECOND = 200
const SECRET = 'bench-webchat-secret-0123456789'
const ORIGIN = 'http://shop.bench.example'
/** How long to wait for the last events after the last 202. */
const DRAIN_MS = 10_000

// The machine's monotonic clock (CLOCK_MONOTONIC), the same in every process; each process's
// performance.timeOrigin is the wall clock at its start, and a clock step between two starts
// once put a constant 13.7 s between the stamps of the two processes.
const now = () => Number(process.hrtime.bigint()) / 1e6

export async function runP8({ work, runs }) {
  const out = { runs: [] }
  for (let r = 0; r < runs; r++) {
    const dir = join(work, 'p8', `run-${r}`)
    mkdirSync(dir, { recursive: true })
    const config = writeConfig(dir, {
      db: join(dir, 'omnigate.db'),
      channels: `  site:
    type: webchat
    secret: ${SECRET}
    allowed_origins: [${ORIGIN}]
    fallback: { after: "off" }
`,
    })
    const daemon = await startDaemon({ config, logFile: join(dir, 'daemon.log') })
    const visitors = await forkHelper('webchat-streams.mjs')
    try {
      await waitHealthy(daemon.url)
      const rss = sampleRss(daemon.pid)
      const opened = performance.now()
      const { contacts } = await visitors.request({
        cmd: 'open',
        url: daemon.url,
        channel: 'site',
        secret: SECRET,
        origin: ORIGIN,
        count: VISITORS,
      })
      const openS = (performance.now() - opened) / 1000
      const rssOpenMb = rssMb(daemon.pid)
      const cpu0 = cpuSeconds(daemon.pid)
      const accepted = await sendToEach(daemon.url, contacts)
      await waitFor(visitors, accepted)
      const cpuUs = ((cpuSeconds(daemon.pid) - cpu0) * 1e6) / Math.max(1, accepted.size)
      const { arrivals, open, errors } = await visitors.request({ cmd: 'arrivals' })
      const rssMaxMb = rss.stop()
      const at = new Map(arrivals)
      const lat = []
      for (const [id, t] of accepted) {
        const a = at.get(id)
        if (a !== undefined) lat.push(Math.max(0, a - t))
      }
      lat.sort((a, b) => a - b)
      const m = {
        visitors: VISITORS,
        openS,
        streamsOpen: open,
        errors,
        delivered: lat.length,
        rssOpenMb,
        rssMaxMb,
        p50: percentile(lat, 50),
        p99: percentile(lat, 99),
        max: lat.at(-1) ?? null,
        cpuPerMessageUs: cpuUs,
      }
      // A lost event is a failure of the figure, not a faster p99.
      if (lat.length < accepted.size) m.p99 = Infinity
      out.runs.push(m)
      log(
        `P8 run ${r + 1}: ${open} streams open (${openS.toFixed(1)} s to open), ` +
          `${lat.length}/${accepted.size} events, RSS ${rssOpenMb?.toFixed(0)} MB open, ` +
          `${rssMaxMb.toFixed(0)} MB max; send→event p50 ${m.p50?.toFixed(1)} p99 ${m.p99?.toFixed(1)} ` +
          `max ${m.max?.toFixed(1)} ms; daemon CPU ${cpuUs.toFixed(0)} µs a message; ` +
          `${errors} stream errors`,
      )
    } finally {
      await visitors.request({ cmd: 'close' }).catch(() => {})
      await visitors.close()
      await daemon.stop()
    }
  }
  return out
}

/** One outbound message to each visitor; resolves with message id → when its 202 arrived (ms). */
async function sendToEach(url, contacts) {
  const accepted = new Map()
  let next = 0
  const start = performance.now()
  const worker = async () => {
    while (next < contacts.length) {
      const i = next++
      // Paced: the figure is the path from a send to the visitor, not a backlog draining.
      const due = start + (i * 1000) / SEND_PER_SECOND - performance.now()
      if (due > 0) await sleep(due)
      const res = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ contact_id: contacts[i], channel: 'site', text: `Hello ${i}` }),
      })
      const t = now()
      const body = await res.json()
      if (res.status !== 202)
        throw new Error(`P8: send ${i} answered ${res.status} ${JSON.stringify(body)}`)
      accepted.set(body.id ?? body.message_id, t)
    }
  }
  await Promise.all(Array.from({ length: SEND_CONCURRENCY }, worker))
  return accepted
}

/** Until every accepted message reached its stream, or DRAIN_MS without a new one. */
async function waitFor(visitors, accepted) {
  let seen = 0
  let quietSince = Date.now()
  while (seen < accepted.size && Date.now() - quietSince < DRAIN_MS) {
    await sleep(250)
    const { count } = await visitors.request({ cmd: 'count' })
    if (count > seen) {
      seen = count
      quietSince = Date.now()
    }
  }
}

function log(s) {
  process.stderr.write(`${s}\n`)
}
