// The site's backend, reduced to what Web Push needs (Node ≥ 20, no dependencies):
// serves the page and the service worker, and registers a browser's subscription with Omnigate
// for the logged-in user, signing the user's id with the channel secret (user_hash).
//
//   OMNIGATE_URL=https://omnigate.example.com OMNIGATE_CHANNEL=push PUSH_SECRET=… node server.mjs
//
// Browsers allow service workers on https origins and on http://localhost only.
import { createHmac } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'

const OMNIGATE_URL = process.env.OMNIGATE_URL ?? 'http://127.0.0.1:8080'
const CHANNEL = process.env.OMNIGATE_CHANNEL ?? 'push'
const SECRET = process.env.PUSH_SECRET ?? '' // the channel's `secret` in gateway.config.yaml
const PORT = Number(process.env.PORT ?? 3000)

// Stand-in for the site's session: a real site takes the user from its login cookie.
const currentUser = () => ({ id: 'user-42', first_name: 'Ana', email: 'ana@example.com' })

/** hex HMAC-SHA256(secret, external_id): proves to Omnigate that this user is who we say. */
const userHash = (externalId) => createHmac('sha256', SECRET).update(externalId).digest('hex')

async function registerSubscription(subscription) {
  const user = currentUser()
  const res = await fetch(`${OMNIGATE_URL}/v1/channels/${CHANNEL}/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      external_id: user.id,
      user_hash: userHash(user.id),
      subscription, // { endpoint, keys: { p256dh, auth } } as the browser made it
      first_name: user.first_name,
      email: user.email,
    }),
  })
  return { status: res.status, body: await res.text() } // 201 {contact_id}; 200 when known; 401 bad hash
}

async function readJson(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

const files = { '/': ['index.html', 'text/html'], '/sw.js': ['sw.js', 'text/javascript'] }

createServer(async (req, res) => {
  try {
    const file = files[req.url]
    if (req.method === 'GET' && file) {
      const body = await readFile(new URL(file[0], import.meta.url))
      return res.writeHead(200, { 'content-type': file[1] }).end(body)
    }
    if (req.method === 'GET' && req.url === '/api/me') {
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(currentUser()))
    }
    if (req.method === 'POST' && req.url === '/api/push-subscription') {
      const result = await registerSubscription(await readJson(req))
      return res.writeHead(result.status, { 'content-type': 'application/json' }).end(result.body)
    }
    res.writeHead(404).end()
  } catch (err) {
    console.error(err)
    res.writeHead(500).end()
  }
}).listen(PORT, () => console.log(`example site on http://localhost:${PORT}`))
