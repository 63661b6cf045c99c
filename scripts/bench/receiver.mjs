/**
 * The bench's relay for webhook channels, in its own process (forked, IPC): a plain node:http
 * server on 127.0.0.1:0 that answers each POST like an app that queues the message and returns,
 * `200 {"platform_message_id": "pm_<Idempotency-Key>"}`, and counts distinct keys.
 *
 * Modes (`mode` command): `ok` answers at once; `hold` reads the request and never answers (the
 * daemon's sends stay in flight, so its dispatcher is saturated and idle: P1 measures accept only);
 * `record` answers at once and also keeps each request's arrival time and recipient (P6).
 *
 * IPC: `ready` → {url}; `mode` {mode}; `expect` {n} → resolves once n distinct keys were accepted,
 * with {firstAt, doneAt} (ms, performance clock of this process, only differences matter);
 * `stats` → {total, distinct}; `arrivals` → {arrivals: [[ms, address], …]}; `reset`.
 */
import { createServer } from 'node:http'
import { once } from 'node:events'
import { serveIpc } from './lib/proc.mjs'

let mode = 'ok'
let keys = new Set()
let total = 0
let firstAt = null
let lastAt = null
let arrivals = []
let held = []
let waiter = null

function checkWaiter() {
  if (waiter && keys.size >= waiter.n) {
    const w = waiter
    waiter = null
    w.resolve({ firstAt, doneAt: lastAt, total, distinct: keys.size })
  }
}

const server = createServer((req, res) => {
  // Stamped when the request's head is parsed: the closest this process gets to its arrival.
  const at = performance.now()
  const chunks = mode === 'record' ? [] : null
  req.on('data', (c) => chunks?.push(c))
  req.on('end', () => {
    firstAt ??= at
    total++
    const key = req.headers['idempotency-key'] ?? ''
    if (mode === 'hold') {
      held.push(res)
      return
    }
    if (chunks) {
      let address = null
      try {
        address = JSON.parse(Buffer.concat(chunks).toString('utf8')).to?.address ?? null
      } catch {
        // not a webhook-channel body: counted, no recipient
      }
      arrivals.push([at, address])
    }
    keys.add(key)
    lastAt = at
    const body = `{"platform_message_id":"pm_${key}"}`
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
    res.end(body)
    checkWaiter()
  })
})
// A relay keeps connections open longer than the daemon's pool (4 s) so the pool closes first.
server.keepAliveTimeout = 10_000
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const url = `http://127.0.0.1:${server.address().port}/outbound`

serveIpc({
  ready: () => ({ url }),
  mode: (m) => {
    mode = m.mode
    if (mode !== 'hold') {
      for (const r of held) r.destroy()
      held = []
    }
  },
  reset: () => {
    keys = new Set()
    total = 0
    firstAt = null
    lastAt = null
    arrivals = []
  },
  expect: (m) =>
    new Promise((resolve) => {
      waiter = { n: m.n, resolve }
      checkWaiter()
    }),
  stats: () => ({ total, distinct: keys.size, held: held.length }),
  arrivals: () => ({ arrivals }),
})
