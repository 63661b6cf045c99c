/**
 * P2's store floor: what the dispatcher's store work alone costs a message, with no connector,
 * no pacing and no HTTP. A copy of P2's database (its queued messages, written by the store's
 * accept path), then the dispatcher's two store calls for each batch, in turn until the outbox is
 * empty: `outbox.lease()` of up to 64 jobs (P2's `dispatcher.concurrency`: the batch marked
 * `sending` and read with its messages' contacts) and `outbox.record()` of a `sent` outcome for
 * each (message → sent, job deleted; no app webhooks, as in P2), two such rounds at a time. Prints one JSON line: messages
 * a second, and CPU (all threads: the loop, the fsyncs, the checkpoints) per message. The
 * daemon's drain can be no faster than this: it is the ceiling the rest of the send (the
 * connector, the pacing, the collector) shares the event loop under.
 *
 * Usage: node scripts/bench/drain-floor.mjs DB DATA_DIR
 */
import { dist } from './lib/paths.mjs'

const { openStore } = await import(dist('store/index.js'))

const BATCH = 64
const LEASE_MS = 60_000
const [file, dataDir] = process.argv.slice(2)
if (!file || !dataDir) throw new Error('usage: drain-floor.mjs DB DATA_DIR')

const store = await openStore({ file, dataDir })

/** One lease and its outcomes; resolves how many messages it sent. */
async function round() {
  const jobs = await store.outbox.lease(Date.now(), BATCH, LEASE_MS)
  if (jobs.length === 0) return 0
  const at = new Date().toISOString()
  const { rejected } = await store.outbox.record(
    jobs.map((j) => ({
      kind: 'sent',
      jobId: j.jobId,
      messageId: j.messageId,
      at,
      platformMessageId: null,
      possibleDuplicate: false,
      events: [],
    })),
  )
  if (rejected.length > 0) throw new Error(`drain floor: ${rejected.length} outcomes rejected`)
  return jobs.length
}

try {
  // Warm-up: the JIT and the page cache, on the first 2 000 messages.
  let warm = 0
  while (warm < 2000) {
    const n = await round()
    if (n === 0) break
    warm += n
  }
  const cpu = process.cpuUsage()
  const start = performance.now()
  // Two rounds at a time, as the dispatcher leases while a tick's outcomes commit.
  const worker = async () => {
    let sent = 0
    for (let n = await round(); n > 0; n = await round()) sent += n
    return sent
  }
  const done = (await Promise.all([worker(), worker()])).reduce((a, b) => a + b, 0)
  const seconds = (performance.now() - start) / 1000
  const used = process.cpuUsage(cpu)
  if (done === 0) throw new Error('drain floor: nothing was queued')
  process.stdout.write(
    `${JSON.stringify({ rate: done / seconds, cpuUsPerMessage: (used.user + used.system) / done })}\n`,
  )
} finally {
  await store.close()
}
