/**
 * P5 — footprint:
 *   - idle RSS with every non-WhatsApp connector on (telegram polling, line, whatsapp-cloud,
 *     email with SMTP and IMAP IDLE, webpush, webhook) against the stand-alone fakes of fakes.mjs:
 *     VmRSS 5 s after every channel reported `connected`;
 *   - the same with only a webhook channel (what issue 14's check from outside reads);
 *   - start to healthy on a 1 000 000-contact database (P4's, or generated here): from spawning
 *     `node bin/omnigate.js serve` to the first 200 from /healthz, same channels;
 *   - RSS under load: the highest VmRSS sampled during P1's and P3's measured runs (in their rows).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { generateContacts } from './datasets.mjs'
import { AUTH, webhookChannel, writeConfig } from './lib/config.mjs'
import { forkHelper, rssMb, sleep, startDaemon, waitHealthy } from './lib/proc.mjs'
import { P4_CONTACTS } from './p4-search.mjs'

/** Idle means after start-up work settled: GC and lazy loads done, long polls parked. */
const IDLE_SETTLE_MS = 5000

/** Every connector type but WhatsApp Web (it drives a browser), pointed at the fakes. */
function allChannels(f, relayUrl) {
  return `  tg:
    type: telegram
    token: "123456:BENCH-token"
    api_root: ${f.http}
  line:
    type: line
    channel_access_token: bench-line-token
    channel_secret: bench-line-secret
    api_base_url: ${f.http}
  wa-cloud:
    type: whatsapp-cloud
    phone_number_id: "1234567890"
    access_token: bench-graph-token
    app_secret: bench-app-secret
    verify_token: bench-verify-token
    graph_url: ${f.http}
  mail:
    type: email
    smtp: { url: "smtp://127.0.0.1:${f.smtpPort}" }
    imap: { url: "imap://bench:bench-imap-pass@127.0.0.1:${f.imapPort}", mailbox: INBOX }
    senders: [support@example.com]
  push:
    type: webpush
    secret: bench-push-secret
${webhookChannel(relayUrl)}`
}

async function allConnected(url, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const res = await fetch(`${url}/v1/channels`, { headers: AUTH })
    const body = await res.json()
    const channels = body.items
    const states = channels.map((c) => `${c.name}:${c.state}`)
    if (channels.every((c) => c.state === 'connected')) return states
    if (Date.now() > deadline) throw new Error(`P5: channels not connected: ${states.join(' ')}`)
    await sleep(100)
  }
}

export async function runP5({ work, runs, shared }) {
  const dir = join(work, 'p5')
  mkdirSync(dir, { recursive: true })
  const fakes = await forkHelper('fakes.mjs')
  const relay = await forkHelper('receiver.mjs')
  const out = { idle: [], idleWebhook: [], start: [] }
  const idle = async (name, channels) => {
    const runDir = join(dir, name)
    mkdirSync(runDir, { recursive: true })
    const config = writeConfig(runDir, { db: join(runDir, 'omnigate.db'), channels })
    const daemon = await startDaemon({ config, logFile: join(runDir, 'daemon.log') })
    try {
      await waitHealthy(daemon.url)
      const states = await allConnected(daemon.url)
      await sleep(IDLE_SETTLE_MS)
      return { rssMb: rssMb(daemon.pid), channels: states }
    } finally {
      await daemon.stop()
    }
  }
  try {
    for (let i = 0; i < runs; i++) {
      const all = await idle(`idle-${i}`, allChannels(fakes.ready, relay.ready.url))
      out.idle.push(all)
      log(`P5 idle run ${i + 1}: ${all.rssMb.toFixed(1)} MB (${all.channels.join(' ')})`)
      const webhook = await idle(`idle-webhook-${i}`, webhookChannel(relay.ready.url))
      out.idleWebhook.push(webhook)
      log(`P5 idle run ${i + 1}, webhook only: ${webhook.rssMb.toFixed(1)} MB`)
    }
    let millionDb = shared?.millionDb
    if (!millionDb) {
      millionDb = join(dir, 'million.db')
      generateContacts(millionDb, { count: P4_CONTACTS })
    }
    const config = writeConfig(dir, {
      db: millionDb,
      channels: allChannels(fakes.ready, relay.ready.url),
    })
    for (let i = 0; i < runs; i++) {
      const daemon = await startDaemon({ config, logFile: join(dir, `start-${i}.log`) })
      try {
        const healthyAt = await waitHealthy(daemon.url)
        const ms = healthyAt - daemon.startedAt
        out.start.push({ ms })
        log(`P5 start run ${i + 1}: healthy ${ms.toFixed(0)} ms after spawn`)
      } finally {
        await daemon.stop()
      }
    }
  } finally {
    await fakes.close()
    await relay.close()
  }
  return out
}

function log(s) {
  process.stderr.write(`${s}\n`)
}
