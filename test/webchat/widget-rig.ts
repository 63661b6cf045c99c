/**
 * The widget's browser suite's setup: a real gateway (real config loader, real SQLite in a temp
 * dir, the dispatcher running) with a `webchat` channel whose fallbacks are a `webpush` channel
 * (the fake push service) and an `email` channel (an SMTP sink), served over loopback HTTP; a
 * "site" on another loopback port whose page embeds `/widget.js` as a customer's site would; and
 * Debian's Chromium driven by playwright-core (no browser download).
 */
import { createHmac } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { chromium, type Browser } from 'playwright-core'
import { expect } from 'vitest'
import { FakePushService } from '../fakes/push-service.js'
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'

const CHROMIUM = '/usr/bin/chromium'
const ROOT = new URL('../../', import.meta.url).pathname
const SECRET = 'site-webchat-secret-0123456789'

export interface WidgetRig {
  t: TestGateway
  sink: SmtpSink
  push: FakePushService
  browser: Browser
  /** The daemon. */
  base: string
  /** The customer's site (another origin): `/?u=<external_id>&email=…` embeds the widget. */
  site: string
  close(): Promise<void>
}

export const userHash = (externalId: string): string =>
  createHmac('sha256', SECRET).update(externalId).digest('hex')

function config(site: string, smtpUrl: string): string {
  return `server:
  public_url: http://127.0.0.1:9
security:
  allow_private_urls: true
dispatcher:
  backoff_base: 50ms
  backoff_max: 200ms
channels:
  site:
    type: webchat
    secret: ${SECRET}
    allowed_origins: [${site}]
    fallback: { push: push, email: mail, after: 1s }
  push:
    type: webpush
    secret: ${SECRET}
  mail:
    type: email
    smtp: { url: "${smtpUrl}" }
    senders: [support@example.com]
    default_subject: A message from Example Support
`
}

/** The customer's page: the embed snippet of docs/channels/webchat.md, and a service worker. */
function sitePage(daemon: string, q: URLSearchParams): string {
  const u = q.get('u') ?? 'visitor'
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;')
  const email = q.get('email') ? ` data-email="${attr(q.get('email') ?? '')}"` : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop</title>
<style>/* a site's CSS that would wreck an unscoped widget */ * { font-size: 40px !important; color: red !important } button { display: none }</style>
</head><body><h1>Example shop</h1>
<script src="${daemon}/widget.js" data-channel="site" data-external-id="${attr(u)}" data-user-hash="${userHash(u)}" data-first-name="Ana"${email} data-push="/sw.js" data-push-channel="push" async></script>
</body></html>`
}

const SERVICE_WORKER = `self.addEventListener('push', (e) => {
  const d = e.data ? e.data.json() : {}
  e.waitUntil(self.registration.showNotification(d.title || 'New message', { body: d.body || d.text || '' }))
})
`

export async function startRig(): Promise<WidgetRig> {
  expect(existsSync(join(ROOT, 'dist/widget/widget.js')), 'run `npm run build` first').toBe(true)
  let daemon = ''
  const siteServer: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/sw.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(SERVICE_WORKER)
    } else if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(sitePage(daemon, url.searchParams))
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((r) => siteServer.listen(0, '127.0.0.1', r))
  const site = `http://127.0.0.1:${(siteServer.address() as AddressInfo).port}`
  const sink = await startSmtpSink()
  const push = await FakePushService.start()
  const t = await startGateway(config(site, sink.url), { dispatcher: true })
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: t.gw.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  daemon = base
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
  return {
    t,
    sink,
    push,
    browser,
    base,
    site,
    async close() {
      await browser.close()
      ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      await new Promise<void>((r) => server.close(() => r()))
      siteServer.closeAllConnections()
      await new Promise<void>((r) => siteServer.close(() => r()))
      await t.close()
      await sink.close()
      await push.close()
    },
  }
}
