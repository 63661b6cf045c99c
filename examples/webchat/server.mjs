// A site's backend, reduced to what the web chat widget needs (Node ≥ 20, no dependencies):
// serves a page that embeds Omnigate's widget for the logged-in user, with that user's
// user_hash = hex HMAC-SHA256(channel secret, external_id) computed here — the secret never
// reaches the browser — and the service worker the widget registers for push.
//
//   OMNIGATE_URL=http://127.0.0.1:8080 WEBCHAT_SECRET=… node examples/webchat/server.mjs
//
// Then open http://localhost:3000 (service workers, so push, need https or localhost).
import { createHmac } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'

const OMNIGATE_URL = (process.env.OMNIGATE_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '')
const CHANNEL = process.env.OMNIGATE_CHANNEL ?? 'site'
const SECRET = process.env.WEBCHAT_SECRET ?? '' // the channel's `secret` in gateway.config.yaml
const PORT = Number(process.env.PORT ?? 3000)

if (!SECRET) {
  process.stderr.write('set WEBCHAT_SECRET to the webchat channel secret\n')
  process.exit(1)
}

// Stand-in for the site's session: a real site takes the user from its login cookie.
const currentUser = () => ({ id: 'user-42', first_name: 'Ana', email: 'ana@example.com' })

const userHash = (externalId) => createHmac('sha256', SECRET).update(externalId).digest('hex')

/** Attribute values are escaped: an id or a name with a quote must not break out of the tag. */
const attr = (s) =>
  String(s)
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')

async function page() {
  const user = currentUser()
  const html = await readFile(new URL('index.html', import.meta.url), 'utf8')
  const embed =
    `<script src="${attr(OMNIGATE_URL)}/widget.js" data-channel="${attr(CHANNEL)}"` +
    ` data-external-id="${attr(user.id)}" data-user-hash="${userHash(user.id)}"` +
    ` data-first-name="${attr(user.first_name)}" data-email="${attr(user.email)}"` +
    ` data-push="/sw.js" async></script>`
  return html.replace('<!-- omnigate widget -->', embed)
}

const SW = `// The site's service worker: shows Omnigate's pushes, opens their link on click.
self.addEventListener('push', (event) => {
  let data = {}
  try { data = event.data ? event.data.json() : {} } catch { data = { text: event.data ? event.data.text() : '' } }
  event.waitUntil(self.registration.showNotification(data.title || 'New message', {
    body: data.text || '', tag: data.message_id, data: { url: data.url || '/' },
  }))
})
self.addEventListener('notificationclick', (event) => {
  event.notification.close()
  event.waitUntil(self.clients.openWindow(new URL(event.notification.data.url || '/', self.location.origin).href))
})
`

createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/') {
      return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(await page())
    }
    if (req.method === 'GET' && req.url === '/sw.js') {
      return res.writeHead(200, { 'content-type': 'text/javascript' }).end(SW)
    }
    res.writeHead(404).end()
  } catch (e) {
    res.writeHead(500).end(String(e))
  }
}).listen(PORT, () => process.stdout.write(`the example site: http://localhost:${PORT}\n`))
