/**
 * P1 — accept: `POST /v1/messages` to existing contacts on a no-window webhook channel, a fresh
 * Idempotency-Key per request, 64 connections, fsync'd before each 202 (group commit), against a
 * bare hono "hello" server measured in the same run with the same load (the reference).
 *
 * Accept only: the channel's relay reads each request and never answers within the run, so the
 * dispatcher fills its 64 send slots at once and then waits — the figure is the API's accept path
 * (rules, render, group commit, fsync), not the API competing with dispatch (that is P2).
 *
 * With dispatch (DESIGN §8 P1 as it reads now): after the accept-only runs the relay answers at
 * once, the backlog they left is drained, and the same load runs again while the dispatcher
 * delivers what is accepted — the steady state an app sees. The outbox depth before and after
 * each of those runs says whether the dispatcher keeps up (no backlog growth).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateContacts } from './datasets.mjs'
import { AUTH, webhookChannel, writeConfig } from './lib/config.mjs'
import { cpuSeconds, forkHelper, sampleRss, startDaemon, waitHealthy } from './lib/proc.mjs'

/** Existing contacts the sends pick from at random: enough that recency moves are real work. */
export const P1_CONTACTS = 1000
const CONNECTIONS = 64
const WARMUP_S = 3
const UNLIMITED = { perSecond: 1_000_000, perRecipient: 1_000 }

export async function runP1({ work, runs, durationS, load }) {
  const dir = join(work, 'p1')
  mkdirSync(dir, { recursive: true })
  const { ids } = generateContacts(join(dir, 'omnigate.db'), {
    count: P1_CONTACTS,
    identityChannel: 'sms',
    keepIds: true,
  })
  const relay = await forkHelper('receiver.mjs')
  await relay.request({ cmd: 'mode', mode: 'hold' })
  const hello = await forkHelper('hello-server.mjs')
  const config = writeConfig(dir, {
    db: join(dir, 'omnigate.db'),
    // Longer than the whole run: the held sends must not time out and retry meanwhile.
    dispatcher: '  send_timeout: 1h\n',
    // The webhook type's default rate (1 000/s, 10 a second to one recipient) would cap the
    // dispatcher below the accept rate, and "no backlog growth" would measure the config: lifted,
    // as in P2, so the figure is what the machine does.
    channels: webhookChannel(relay.ready.url, { timeout: '1h', rate: UNLIMITED }),
  })
  const daemon = await startDaemon({ config, logFile: join(dir, 'daemon.log') })
  const out = { runs: [] }
  try {
    await waitHealthy(daemon.url)
    const send = {
      scenario: 'send',
      url: daemon.url,
      headers: AUTH,
      connections: CONNECTIONS,
      channel: 'sms',
      contactIds: ids,
    }
    // Warm-up: JIT, page cache, and the first send to each contact (which creates its thread).
    await load.request({ cmd: 'run', spec: { ...send, durationS: WARMUP_S } })
    for (let i = 0; i < runs; i++) {
      const helloCpu = cpuSeconds(hello.pid)
      const ref = (
        await load.request({
          cmd: 'run',
          spec: {
            scenario: 'static',
            url: hello.ready.url,
            connections: CONNECTIONS,
            durationS,
          },
        })
      ).result
      ref.cpuUsPerRequest = ((cpuSeconds(hello.pid) - helloCpu) / ref.responses) * 1e6
      const rss = sampleRss(daemon.pid)
      const daemonCpu = cpuSeconds(daemon.pid)
      const acc = (await load.request({ cmd: 'run', spec: { ...send, durationS } })).result
      acc.cpuUsPerRequest = ((cpuSeconds(daemon.pid) - daemonCpu) / acc.responses) * 1e6
      const rssMax = rss.stop()
      out.runs.push({ hello: ref, accept: acc, rssMaxMb: rssMax, floor: storeFloor(dir, i) })
      log(
        `P1 run ${i + 1}: hello ${ref.rps.toFixed(0)} req/s; accept ${acc.rps.toFixed(0)} req/s ` +
          `(${acc.ok}/${acc.responses} 2xx, errors ${acc.errors}), p99 ${acc.p99?.toFixed(2)} ms, ` +
          `CPU ${acc.cpuUsPerRequest.toFixed(0)} µs/request (hello ${ref.cpuUsPerRequest.toFixed(0)}), ` +
          `RSS max ${rssMax.toFixed(0)} MB`,
      )
    }
    await relay.request({ cmd: 'mode', mode: 'ok' })
    await waitDrained(daemon.url, DRAIN_WAIT_MS)
    for (let i = 0; i < runs; i++) {
      const before = await outboxDepth(daemon.url)
      const daemonCpu = cpuSeconds(daemon.pid)
      const acc = (await load.request({ cmd: 'run', spec: { ...send, durationS } })).result
      acc.cpuUsPerRequest = ((cpuSeconds(daemon.pid) - daemonCpu) / acc.responses) * 1e6
      const after = await outboxDepth(daemon.url)
      acc.backlogGrowth = after - before
      const run = out.runs[i]
      if (run) run.withDispatch = acc
      log(
        `P1 run ${i + 1} with dispatch: accept ${acc.rps.toFixed(0)} req/s, p99 ` +
          `${acc.p99?.toFixed(2)} ms, outbox ${before} → ${after}, CPU ` +
          `${acc.cpuUsPerRequest.toFixed(0)} µs/request`,
      )
      await waitDrained(daemon.url, DRAIN_WAIT_MS)
    }
  } finally {
    // Let the held sends go (they fail as resets and are retried) so a graceful stop is quick.
    await relay.request({ cmd: 'mode', mode: 'ok' })
    await daemon.stop()
    await relay.close()
    await hello.close()
  }
  return out
}

/**
 * The store floor (store-floor.mjs), in a process of its own while the daemon is idle: the
 * accept path's store work alone, the ceiling under which HTTP and the rules share the loop.
 */
function storeFloor(dir, run) {
  const floorDir = join(dir, `floor-${run}`)
  mkdirSync(floorDir, { recursive: true })
  const script = fileURLToPath(new URL('./store-floor.mjs', import.meta.url))
  const out = execFileSync(process.execPath, [script, floorDir])
  const floor = JSON.parse(out.toString())
  log(
    `P1 run ${run + 1} store floor: ${floor.rps.toFixed(0)} accepts/s, ` +
      `CPU ${floor.cpuUsPerAccept.toFixed(0)} µs/accept`,
  )
  return floor
}

/** How long to wait for the outbox to empty between runs with dispatch (ms). */
const DRAIN_WAIT_MS = 120_000

/** The daemon's `omnigate_outbox_depth` gauge. */
async function outboxDepth(url) {
  const text = await (await fetch(`${url}/metrics`, { headers: AUTH })).text()
  const m = /^omnigate_outbox_depth (\d+)/m.exec(text)
  if (!m) throw new Error('omnigate_outbox_depth missing from /metrics')
  return Number(m[1])
}

/** Waits until the outbox is empty, or `ms` passes (the next run then starts with a backlog). */
async function waitDrained(url, ms) {
  const end = Date.now() + ms
  while (Date.now() < end && (await outboxDepth(url)) > 0)
    await new Promise((r) => setTimeout(r, 250))
}

function log(s) {
  process.stderr.write(`${s}\n`)
}
