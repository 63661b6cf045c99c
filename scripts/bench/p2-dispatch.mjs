/**
 * P2 — dispatch: 100 000 queued messages (to 100 000 contacts, written by the store's own accept
 * path before the daemon starts) drained
 *   - by the daemon through the webhook channel to a local relay answering at once (undici Pool,
 *     `dispatcher.concurrency` 64 in flight): msg/s from the relay's first request to its
 *     100 000th distinct Idempotency-Key, then checked in the database (every message `sent`);
 *   - in process (createGateway, the real dispatcher and store) through a no-op connector: msg/s
 *     from the first send to an empty outbox. This is the dispatcher's own ceiling.
 * The channel's rate limit is lifted for the figure (`per_second: 1000000`): the webhook type's
 * default (1 000/s) would otherwise be what is measured.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { copyDb, generateContacts, queueMessages, runStoreFloor } from './datasets.mjs'
import { webhookChannel, writeConfig } from './lib/config.mjs'
import { dist } from './lib/paths.mjs'
import { forkHelper, startDaemon } from './lib/proc.mjs'

const P2_MESSAGES = 100_000
const UNLIMITED = { perSecond: 1_000_000, perRecipient: 1_000 }

export async function runP2({ work, runs }) {
  const dir = join(work, 'p2')
  mkdirSync(dir, { recursive: true })
  const template = join(dir, 'template.db')
  const t0 = Date.now()
  const { ids } = generateContacts(template, {
    count: P2_MESSAGES,
    identityChannel: 'sms',
    keepIds: true,
  })
  await queueMessages(template, dir, { channel: 'sms', contactIds: ids })
  log(`P2: ${P2_MESSAGES} messages queued in ${((Date.now() - t0) / 1000).toFixed(1)} s`)

  const relay = await forkHelper('receiver.mjs')
  const out = { webhook: [], noop: [], floor: [] }
  try {
    for (let i = 0; i < runs; i++) {
      const runDir = join(dir, `webhook-${i}`)
      mkdirSync(runDir, { recursive: true })
      const db = copyDb(template, join(runDir, 'omnigate.db'))
      const config = writeConfig(runDir, {
        db,
        channels: webhookChannel(relay.ready.url, { rate: UNLIMITED }),
      })
      await relay.request({ cmd: 'reset' })
      const done = relay.request({ cmd: 'expect', n: P2_MESSAGES })
      const daemon = await startDaemon({ config, logFile: join(runDir, 'daemon.log') })
      let r
      try {
        r = await done
      } finally {
        await daemon.stop()
      }
      const sent = await countSent(db)
      const rate = ((P2_MESSAGES - 1) / (r.doneAt - r.firstAt)) * 1000
      out.webhook.push({ rate, requests: r.total, sentInDb: sent })
      log(
        `P2 webhook run ${i + 1}: ${rate.toFixed(0)} msg/s (${r.total} requests, ${sent} sent in db)`,
      )
      if (sent !== P2_MESSAGES) throw new Error(`P2: only ${sent} of ${P2_MESSAGES} marked sent`)
    }
    for (let i = 0; i < runs; i++) {
      const runDir = join(dir, `noop-${i}`)
      mkdirSync(runDir, { recursive: true })
      const db = copyDb(template, join(runDir, 'omnigate.db'))
      const config = writeConfig(runDir, {
        db,
        channels: webhookChannel('http://127.0.0.1:9/never', { rate: UNLIMITED }),
      })
      const prof = process.env.BENCH_CPU_PROF
      const drain = await forkHelper('noop-drain.mjs', [config, String(P2_MESSAGES)], {
        execArgv: prof ? ['--cpu-prof', '--cpu-prof-dir', join(prof, 'noop')] : [],
      })
      const r = (await drain.request({ cmd: 'drain' })).result
      await drain.close()
      out.noop.push(r)
      log(`P2 no-op run ${i + 1}: ${r.rate.toFixed(0)} msg/s (${r.sends} sends, ${r.sent} sent)`)
    }
    for (let i = 0; i < runs; i++) out.floor.push(storeFloor(template, dir, i))
  } finally {
    await relay.close()
  }
  return out
}

/**
 * The store floor (drain-floor.mjs), in a process of its own with no daemon running: the
 * dispatcher's store work alone on a copy of the same queue, the ceiling under which the
 * connector, the pacing and the collector share the loop.
 */
function storeFloor(template, dir, run) {
  const floor = runStoreFloor(
    new URL('./drain-floor.mjs', import.meta.url),
    template,
    join(dir, `floor-${run}`),
  )
  log(
    `P2 run ${run + 1} store floor: ${floor.rate.toFixed(0)} msg/s, ` +
      `CPU ${floor.cpuUsPerMessage.toFixed(0)} µs/message`,
  )
  return floor
}

async function countSent(file) {
  const { openDatabase } = await import(dist('store/sqlite/open-database.js'))
  const db = openDatabase(file, { readonly: true })
  try {
    return db.prepare(`SELECT count(*) AS n FROM messages WHERE status = 'sent'`).get().n
  } finally {
    db.close()
  }
}

function log(s) {
  process.stderr.write(`${s}\n`)
}
