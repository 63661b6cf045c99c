/**
 * The arrival recorder's own process (forked by arrival-recorder.ts): a relay on 127.0.0.1 that
 * answers every POST `200 {platform_message_id}` and stamps each request with `process.hrtime`
 * when its head is parsed. A process of its own, so a busy event loop in the process under test
 * cannot delay (and so bunch) the stamps, as a platform on another machine would not.
 *
 * IPC: sends `{url}` once listening; answers `'arrivals'` with `{arrivals: [{at, address, key}]}`
 * (`at` in ms of this process's monotonic clock: only differences matter).
 */
import { once } from 'node:events'
import { createServer } from 'node:http'

const arrivals = []
const server = createServer((req, res) => {
  const at = Number(process.hrtime.bigint()) / 1e6
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    let address = null
    try {
      address = JSON.parse(Buffer.concat(chunks).toString('utf8')).to?.address ?? null
    } catch {
      // not a webhook-channel body: stamped, no recipient
    }
    const key = req.headers['idempotency-key'] ?? null
    arrivals.push({ at, address, key })
    const body = JSON.stringify({ platform_message_id: `pm_${key}` })
    res.writeHead(200, { 'content-type': 'application/json' }).end(body)
  })
})
// Longer than the gateway pool's keep-alive (4 s), so the pool closes idle sockets first.
server.keepAliveTimeout = 10_000
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const url = `http://127.0.0.1:${server.address().port}/outbound`
// The first requests of a fresh process run cold code (tens of ms on a loaded machine): warm it up
// so the test's first send is stamped as promptly as the rest.
for (let i = 0; i < 20; i++) {
  const res = await fetch(url, {
    method: 'POST',
    body: '{}',
    headers: { 'idempotency-key': 'warm' },
  })
  await res.arrayBuffer()
}
arrivals.length = 0
process.send?.({ url })
process.on('message', (m) => {
  if (m === 'arrivals') process.send?.({ arrivals })
})
process.on('disconnect', () => process.exit(0))
