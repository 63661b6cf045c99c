/**
 * The console's browser suite's setup: a real gateway (real config loader, real SQLite in a temp
 * dir, the dispatcher running) served over loopback HTTP, a webhook relay and an SMTP sink as the
 * outside world, and Debian's Chromium driven by playwright-core (no browser download).
 */
import { existsSync, mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { chromium, type Browser, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'

const CHROMIUM = '/usr/bin/chromium'
const ROOT = new URL('../../', import.meta.url).pathname
/** `OMNIGATE_SCREENSHOTS=1 npx vitest run test/console` rewrites docs/console/*.png. */
const SHOTS = process.env.OMNIGATE_SCREENSHOTS === '1'

export interface ConsoleRig {
  t: TestGateway
  relay: WebhookReceiver
  sink: SmtpSink
  browser: Browser
  base: string
  close(): Promise<void>
}

function config(relayUrl: string, smtpUrl: string): string {
  return `server:
  public_url: http://127.0.0.1:9
dispatcher:
  backoff_base: 50ms
  backoff_max: 200ms
channels:
  sms:
    type: webhook
    url: ${relayUrl}
    secret: sms-secret
    address: phone
  mail:
    type: email
    smtp: { url: "${smtpUrl}" }
    senders: [support@example.com, billing@example.com]
    default_subject: A message from Example Support
  chat:
    type: webhook
    url: ${relayUrl}
    secret: chat-secret
    address: any
    rules:
      contact_first: true
  billing:
    type: webhook
    url: ${relayUrl}
    secret: billing-secret
    address: phone
    rules:
      mandatory_tags: [refund, invoice]
  slow:
    type: webhook
    url: ${relayUrl}
    secret: slow-secret
    address: phone
    rules:
      rate: { per_second: 1, per_recipient_per_second: 1 }
templates:
  refund_update:
    title: Refund update
    text: "Hi {{first_name|there}}, your refund is {{status}}."
    signature: "— Example Support"
`
}

export async function startRig(): Promise<ConsoleRig> {
  expect(existsSync(join(ROOT, 'dist/console/index.html')), 'run `npm run build` first').toBe(true)
  const relay = await startWebhookReceiver({ secret: 'sms-secret' })
  const sink = await startSmtpSink()
  const t = await startGateway(config(relay.url, sink.url), { dispatcher: true })
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: t.gw.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
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
    relay,
    sink,
    browser,
    base,
    async close() {
      await browser.close()
      ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
      await new Promise<void>((r) => server.close(() => r()))
      await t.close()
      await relay.close()
      await sink.close()
    },
  }
}

/** A fresh page (its own sessionStorage) that fails the test on any request off this daemon. */
export async function newPage(
  rig: ConsoleRig,
  viewport = { width: 1200, height: 900 },
): Promise<{ page: Page; offsite: string[]; dialogs: string[] }> {
  const ctx = await rig.browser.newContext({ viewport })
  // Each wait for an element or an answer: generous under load (see the test's timeout).
  ctx.setDefaultTimeout(60_000)
  const page = await ctx.newPage()
  const offsite: string[] = []
  const dialogs: string[] = []
  page.on('request', (r) => {
    if (!r.url().startsWith(rig.base)) offsite.push(r.url())
  })
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    void d.dismiss()
  })
  return { page, offsite, dialogs }
}

export async function signIn(rig: ConsoleRig, page: Page, key: string): Promise<void> {
  await page.goto(`${rig.base}/console/`)
  await page.getByLabel('API key').fill(key)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('searchbox', { name: 'Search people' }).waitFor()
  // Live means the shell's effects ran: the stream is open and the `/` key is handled.
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor()
}

/** Saves a screenshot for docs/console.md when OMNIGATE_SCREENSHOTS=1. */
export async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return
  const dir = join(ROOT, 'docs/console')
  mkdirSync(dir, { recursive: true })
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true })
}
