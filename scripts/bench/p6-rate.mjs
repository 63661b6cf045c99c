/**
 * P6 — rate fidelity: a burst of sends to a webhook channel with `rate: { per_second: 30,
 * per_recipient_per_second: 1 }` — 600 messages accepted at once (20 s of sending at the limit):
 * 30 to one recipient (spread through the burst), 570 to as many others. The relay records when
 * each request arrives; over the first 10 s after the first one the bench reports the most sends
 * in any 1 s window (overall, and to any one recipient), the achieved rate (sends ÷ 10 s) and the
 * one recipient's rate. The limits are what a platform counts, so they are checked where a
 * platform would count them: at the receiving end.
 */
import { mkdirSync } from 'node:fs'
import { setPriority } from 'node:os'
import { join } from 'node:path'
import { copyDb, generateContacts } from './datasets.mjs'
import { AUTH, webhookChannel, writeConfig } from './lib/config.mjs'
import { forkHelper, sleep, startDaemon, waitHealthy } from './lib/proc.mjs'
import { maxInWindow } from './lib/stats.mjs'

const LIMIT = { perSecond: 30, perRecipient: 1 }
const BURST = 600
const HOT_SENDS = 30
const WINDOW_MS = 10_000
/** Sends POSTed at once while building the burst. */
const POST_CONCURRENCY = 16

export async function runP6({ work, runs }) {
  const dir = join(work, 'p6')
  mkdirSync(dir, { recursive: true })
  const template = join(dir, 'template.db')
  const { ids } = generateContacts(template, {
    count: BURST,
    identityChannel: 'sms',
    keepIds: true,
  })
  // Every 20th send goes to the one hot recipient (ids[0]); the others get one each.
  const plan = []
  for (let i = 0, other = 1; i < BURST; i++) {
    plan.push(i % (BURST / HOT_SENDS) === 0 ? ids[0] : ids[other++])
  }
  const relay = await forkHelper('receiver.mjs')
  await relay.request({ cmd: 'mode', mode: 'record' })
  // The relay stands for a platform on another machine: its clock must not wait for our CPU.
  // A higher priority keeps its arrival stamps from queueing behind the daemon (needs root).
  try {
    setPriority(relay.pid, -10)
  } catch {
    log("P6: could not raise the relay's priority (not root): its stamps may carry our jitter")
  }
  const out = { runs: [] }
  try {
    for (let r = 0; r < runs; r++) {
      const runDir = join(dir, `run-${r}`)
      mkdirSync(runDir, { recursive: true })
      const db = copyDb(template, join(runDir, 'omnigate.db'))
      const config = writeConfig(runDir, {
        db,
        channels: webhookChannel(relay.ready.url, { rate: LIMIT }),
      })
      await relay.request({ cmd: 'reset' })
      const daemon = await startDaemon({ config, logFile: join(runDir, 'daemon.log') })
      try {
        await waitHealthy(daemon.url)
        const hot = await postBurst(daemon.url, plan)
        // The first request arrives during the burst; wait out its 10 s window.
        await sleep(WINDOW_MS + 2_000)
        const { arrivals } = await relay.request({ cmd: 'arrivals' })
        out.runs.push(measure(arrivals, hot))
      } finally {
        await daemon.kill() // the rest of the burst is not needed; the data is scratch
      }
      const m = out.runs.at(-1)
      log(
        `P6 run ${r + 1}: ${m.sent} sends in 10 s (${m.rate.toFixed(1)}/s), max ${m.maxPerSecond} ` +
          `in 1 s, max ${m.maxPerRecipient} to one recipient in 1 s; hot ${m.hotSent} (${m.hotRate.toFixed(2)}/s), ` +
          `hot gaps ${m.hotGapsMs.join(' ')} ms, longest idle ${m.longestIdleMs} ms, ` +
          `${m.shortGapsMs.length} gaps under 33 ms (${m.shortGapsMs.slice(0, 12).join(' ')})`,
      )
    }
  } finally {
    await relay.close()
  }
  return out
}

/** POSTs the burst; resolves with the hot recipient's address. */
async function postBurst(url, plan) {
  let next = 0
  let hotAddress = null
  const worker = async () => {
    while (next < plan.length) {
      const i = next++
      const res = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ contact_id: plan[i], channel: 'sms', text: `burst ${i}` }),
      })
      const body = await res.json()
      if (res.status !== 202) throw new Error(`P6: send ${i} answered ${res.status}`)
      if (plan[i] === plan[0]) hotAddress = body.to
    }
  }
  await Promise.all(Array.from({ length: POST_CONCURRENCY }, worker))
  return hotAddress
}

function measure(arrivals, hot) {
  const start = arrivals[0]?.[0] ?? 0
  const inWindow = arrivals.filter(([t]) => t < start + WINDOW_MS)
  const times = inWindow.map(([t]) => t)
  const byRecipient = new Map()
  for (const [t, address] of arrivals) {
    const list = byRecipient.get(address) ?? []
    list.push(t)
    byRecipient.set(address, list)
  }
  let maxPerRecipient = 0
  for (const list of byRecipient.values())
    maxPerRecipient = Math.max(maxPerRecipient, maxInWindow(list))
  const hotSent = inWindow.filter(([, a]) => a === hot).length
  const hotTimes = byRecipient.get(hot) ?? []
  const gaps = hotTimes.slice(1).map((t, i) => t - hotTimes[i])
  const allGaps = times.slice(1).map((t, i) => t - times[i])
  return {
    sent: inWindow.length,
    rate: inWindow.length / (WINDOW_MS / 1000),
    maxPerSecond: maxInWindow(arrivals.map(([t]) => t)),
    maxPerRecipient,
    hotSent,
    hotRate: hotSent / (WINDOW_MS / 1000),
    total: arrivals.length,
    /** Gaps between consecutive sends to the hot recipient (ms): ≥ 1000 is within its limit. */
    hotGapsMs: gaps.map((g) => Math.round(g)),
    /** Gaps shorter than the limit's interval (1000/30 ms): where a window can get a 31st send. */
    shortGapsMs: allGaps.filter((g) => g < 1000 / LIMIT.perSecond).map((g) => Math.round(g)),
    /** The longest pause between two sends in the window (ms): the channel left idle. */
    longestIdleMs: Math.round(Math.max(0, ...allGaps)),
  }
}

function log(s) {
  process.stderr.write(`${s}\n`)
}
