/**
 * P8's visitors, in their own process (forked, IPC): opens a web chat session per visitor through
 * `POST /v1/channels/{name}/webchat/session` (external_id + user_hash, as a site's page would),
 * then holds one SSE stream each (`GET …/webchat/stream?token=`, plain node:http: one socket per
 * visitor, like 2 000 browsers) and stamps when each `message` event arrives.
 * Stamps are `process.hrtime` (ms of the machine's monotonic clock): comparable with the parent's.
 * IPC: `ready`; `open` {url, channel, secret, origin, count} → {contacts}; `count` → {count};
 * `arrivals` → {arrivals: [[message_id, ms]], open, errors}; `close`.
 */
import { createHmac } from 'node:crypto'
import { Agent, request } from 'node:http'
import { serveIpc } from './lib/proc.mjs'

/** Sessions created at once: the daemon's HTTP accept path, not the bench, should set the pace. */
const SESSION_CONCURRENCY = 32

const agent = new Agent({ keepAlive: true, maxSockets: Infinity })
const streams = []
const arrivals = []
let errors = 0

const now = () => Number(process.hrtime.bigint()) / 1e6

serveIpc({
  ready: () => ({}),
  open: async ({ url, channel, secret, origin, count }) => {
    const visitors = Array.from({ length: count }, (_, i) => `p8-visitor-${i}`)
    const sessions = new Array(count)
    let next = 0
    const worker = async () => {
      while (next < count) {
        const i = next++
        const externalId = visitors[i]
        const userHash = createHmac('sha256', secret).update(externalId).digest('hex')
        const res = await fetch(`${url}/v1/channels/${channel}/webchat/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin },
          body: JSON.stringify({ external_id: externalId, user_hash: userHash }),
        })
        const body = await res.json()
        if (res.status !== 200 && res.status !== 201) {
          throw new Error(`P8: session ${i} answered ${res.status} ${JSON.stringify(body)}`)
        }
        sessions[i] = body
      }
    }
    await Promise.all(Array.from({ length: SESSION_CONCURRENCY }, worker))
    await Promise.all(sessions.map((s) => openStream(url, channel, origin, s.token)))
    return { contacts: sessions.map((s) => s.contact_id) }
  },
  count: () => ({ count: arrivals.length }),
  arrivals: () => ({ arrivals, open: streams.filter((s) => !s.destroyed).length, errors }),
  close: () => {
    for (const s of streams) s.destroy()
    streams.length = 0
    agent.destroy()
    return {}
  },
})

/** Resolves once the stream answered 200; then stamps each `message` event's message id. */
function openStream(url, channel, origin, token) {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/channels/${channel}/webchat/stream?token=${encodeURIComponent(token)}`,
      { agent, headers: { accept: 'text/event-stream', origin } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume()
          reject(new Error(`P8: stream answered ${res.statusCode}`))
          return
        }
        streams.push(res.socket)
        res.setEncoding('utf8')
        let buf = ''
        res.on('data', (chunk) => {
          const at = now()
          buf += chunk
          let end
          while ((end = buf.indexOf('\n\n')) >= 0) {
            onFrame(buf.slice(0, end), at)
            buf = buf.slice(end + 2)
          }
        })
        res.on('error', () => errors++)
        resolve()
      },
    )
    req.on('error', (e) => {
      errors++
      reject(e)
    })
    req.end()
  })
}

function onFrame(frame, at) {
  let event = 'message'
  let data = ''
  for (const line of frame.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim()
    else if (line.startsWith('data:')) data += line.slice(5).trim()
  }
  if (event !== 'message' || !data) return
  try {
    const d = JSON.parse(data)
    // A bare message, or the live bus's envelope {id, type, created_at, data}.
    const id = d?.data?.id ?? d?.message?.id ?? d?.id
    if (typeof id === 'string') arrivals.push([id, at])
  } catch {
    errors++
  }
}
