/**
 * The web chat widget in a real browser (DESIGN §12): a customer's page on one loopback origin
 * embeds `/widget.js` from the daemon on another, as the docs' snippet does. Elements are found by
 * role and accessible name only (the names are a contract), inside the widget's shadow root.
 * Nothing here asserts speed; the waits are generous because the browser shares two cores.
 */
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { FakeSubscriptionJson } from '../fakes/push-service.js'
import { KEYS } from '../helpers/harness.js'
import { startRig, userHash, type WidgetRig } from './widget-rig.js'

vi.setConfig({ testTimeout: 120_000 })
const POLL = { timeout: 60_000, interval: 100 }
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)

/** Plain JS run in the page before the site's scripts (the test's tsconfig has no DOM types). */
const FAKE_PUSH_MANAGER = `(() => {
  if (typeof PushManager === 'undefined') return
  const b64 = (u8) => btoa(String.fromCharCode(...u8)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '')
  let sub = null
  PushManager.prototype.getSubscription = () => Promise.resolve(sub)
  PushManager.prototype.subscribe = async (o) => {
    const json = await window.__fakePushSubscribe(b64(new Uint8Array(o.applicationServerKey)))
    sub = { endpoint: json.endpoint, toJSON: () => json }
    return sub
  }
})()`

let rig: WidgetRig
let ctx: BrowserContext
let page: Page
/** Requests the page made to anything but the site and the daemon. */
const offsite: string[] = []
let contactId = ''
const subscriptions: FakeSubscriptionJson[] = []

beforeAll(async () => {
  rig = await startRig()
}, 60_000)
afterAll(async () => {
  await ctx?.close()
  await rig?.close()
})

/** An agent (or the app) writes to the visitor through the API; resolves with the message id. */
async function agentSays(text: string, attachments?: unknown[]): Promise<string> {
  const r = await rig.t.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: { contact_id: contactId, channel: 'site', text, ...(attachments ? { attachments } : {}) },
  })
  expect(r.status, JSON.stringify(r.body)).toBe(202)
  return r.body.id as string
}

const statusOf = async (id: string): Promise<string> =>
  (await rig.t.call('GET', `/v1/messages/${id}`, { key: KEYS.alice })).body.status as string

/** The contact's messages as the API holds them, oldest first. */
async function messagesOf(): Promise<any[]> {
  const r = await rig.t.call('GET', `/v1/contacts/${contactId}/timeline?limit=100`, {
    key: KEYS.alice,
  })
  expect(r.status).toBe(200)
  return (r.body.items as { kind: string; message?: any }[])
    .filter((i) => i.kind === 'message')
    .map((i) => i.message)
}

/** The visitor's messages: inbound on the webchat channel. */
const inboundTexts = async (): Promise<{ text: string | null; attachments: any[] }[]> =>
  (await messagesOf()).filter((m) => m.direction === 'in' && m.channel === 'site')

const log = () => page.getByRole('log', { name: 'Conversation' })

/** `omnigate_webchat_streams`: the widgets connected to the daemon. */
async function openStreams(): Promise<number> {
  const r = await rig.t.call('GET', '/metrics', { key: null })
  const m = /^omnigate_webchat_streams (\d+)$/m.exec(r.text)
  expect(m, 'omnigate_webchat_streams on /metrics').not.toBeNull()
  return Number(m?.[1])
}

describe('the web chat widget on a customer page', () => {
  it('a message sent while the visitor is away is copied to their email after fallback.after', async () => {
    // The visitor has been on the site before (the session made them a contact).
    const s = await fetch(`${rig.base}/v1/channels/site/webchat/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: rig.site },
      body: JSON.stringify({
        external_id: 'visitor-1',
        user_hash: userHash('visitor-1'),
        email: 'ana@example.com',
      }),
    })
    const session = (await s.json()) as { contact_id: string }
    expect(s.status, JSON.stringify(session)).toBeLessThan(300)
    contactId = session.contact_id
    await agentSays('Your order has shipped')
    const [mail] = await rig.sink.waitFor(1, 60_000)
    expect(mail?.envelope.to).toEqual(['ana@example.com'])
    expect(mail?.parsed.text).toContain('Your order has shipped')
  })

  it('shows the launcher with the unread count, then the history in the Conversation log', async () => {
    ctx = await rig.browser.newContext({ viewport: { width: 1100, height: 800 } })
    ctx.setDefaultTimeout(60_000)
    await ctx.grantPermissions(['notifications'], { origin: rig.site })
    // The browser's push service is the outside world: the page's PushManager hands out
    // subscriptions of the fake push service (which decrypts what the daemon sends).
    await ctx.exposeBinding('__fakePushSubscribe', (_src, key: string) => {
      const sub = rig.push.subscribe(key)
      subscriptions.push(sub)
      return sub
    })
    await ctx.addInitScript({ content: FAKE_PUSH_MANAGER })
    page = await ctx.newPage()
    page.on('request', (r) => {
      const u = r.url()
      if (!u.startsWith(rig.base) && !u.startsWith(rig.site)) offsite.push(u)
    })
    await page.goto(`${rig.site}/?u=visitor-1`)
    const launcher = page.getByRole('button', { name: 'Open chat (1 unread)' })
    await launcher.waitFor()
    // The site's CSS hides every button and paints text red; the widget is out of its reach.
    expect(await launcher.isVisible()).toBe(true)
    await launcher.click()
    await expect.poll(() => log().textContent(), POLL).toContain('Your order has shipped')
    // The site's `* { color: red !important }` does not reach into the shadow root.
    const color = await log().evaluate((e) => (globalThis as any).getComputedStyle(e).color)
    expect(color).toMatch(/^rgb/)
    expect(color).not.toBe('rgb(255, 0, 0)')
    await page.getByRole('button', { name: 'Close chat' }).waitFor()
  })

  it('reports seen while the panel is open: the message turns read in the API', async () => {
    const shipped = (await messagesOf()).find((m) => m.text === 'Your order has shipped')
    expect(shipped?.id).toBeTruthy()
    await expect.poll(() => statusOf(shipped.id as string), POLL).toBe('read')
  })

  it('sends what the visitor types: it arrives as an inbound message', async () => {
    await page.getByRole('textbox', { name: 'Type a message' }).fill('Where is my parcel?')
    await page.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => log().textContent(), POLL).toContain('Where is my parcel?')
    await expect
      .poll(async () => (await inboundTexts()).map((m) => m.text), POLL)
      .toContain('Where is my parcel?')
  })

  it("shows an agent's reply live, as text, and reports it seen", async () => {
    const id = await agentSays('It is with the courier <b>today</b>')
    await expect
      .poll(() => log().textContent(), POLL)
      .toContain('It is with the courier <b>today</b>')
    expect(await log().locator('b').count()).toBe(0)
    await expect.poll(() => statusOf(id), POLL).toBe('read')
  })

  it('renders visitor text as text: markup shows as typed and never runs', async () => {
    const evil = '<img src=x onerror="window.__xss=1">'
    await page.getByRole('textbox', { name: 'Type a message' }).fill(evil)
    await page.keyboard.press('Enter')
    await expect.poll(() => log().textContent(), POLL).toContain(evil)
    expect(await log().locator('img[src="x"]').count()).toBe(0)
    await expect.poll(async () => (await inboundTexts()).map((m) => m.text), POLL).toContain(evil)
    expect(await page.evaluate('window.__xss')).toBeUndefined()
  })

  it('uploads an attachment (an image shows inline) that the API holds on the inbound message', async () => {
    await page
      .locator('input[type=file]')
      .setInputFiles({ name: 'receipt.png', mimeType: 'image/png', buffer: PNG })
    await page.getByRole('button', { name: 'Send' }).click()
    await expect
      .poll(
        async () =>
          (await inboundTexts())
            .flatMap((m) => m.attachments as { filename: string }[])
            .map((a) => a.filename),
        POLL,
      )
      .toContain('receipt.png')
    const img = log().getByRole('img', { name: 'receipt.png' })
    await img.waitFor()
    await expect
      .poll(
        () => img.evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth),
        POLL,
      )
      .toBe(1)
  })

  it("an agent's attachment shows as a link that opens the file (a signed link, no key)", async () => {
    await agentSays('Your invoice', [
      {
        filename: 'invoice.txt',
        content_type: 'text/plain',
        data: Buffer.from('total 12 EUR').toString('base64'),
      },
    ])
    const link = log().getByRole('link', { name: 'invoice.txt' })
    await link.waitFor()
    const href = await link.getAttribute('href')
    expect(href).toBeTruthy()
    const res = await fetch(new URL(href ?? '', rig.base))
    expect(await res.text()).toBe('total 12 EUR')
  })

  it('counts unread messages on the launcher while the panel is closed', async () => {
    await page.getByRole('button', { name: 'Close chat' }).click()
    const a = await agentSays('One more thing')
    await agentSays('And another')
    await page.getByRole('button', { name: 'Open chat (2 unread)' }).waitFor()
    // Closed panel: not seen, so not read (delivered to the open stream).
    expect(await statusOf(a)).not.toBe('read')
    await page.getByRole('button', { name: 'Open chat (2 unread)' }).click()
    await expect.poll(() => statusOf(a), POLL).toBe('read')
    await page.getByRole('button', { name: 'Close chat' }).click()
    await page.getByRole('button', { name: 'Open chat', exact: true }).waitFor()
  })

  it('push opt-in: registers the site worker and hands the subscription to the daemon', async () => {
    await page.getByRole('button', { name: 'Open chat', exact: true }).click()
    await page.getByRole('button', { name: 'Get notified of replies' }).click()
    await expect.poll(() => subscriptions.length, POLL).toBe(1)
    await expect
      .poll(() => page.getByRole('button', { name: 'Get notified of replies' }).isHidden(), POLL)
      .toBe(true)
    expect(
      await page.evaluate(
        "navigator.serviceWorker.getRegistration('/sw.js').then((r) => r && r.active && r.active.scriptURL)",
      ),
    ).toBe(`${rig.site}/sw.js`)
    // The visitor leaves: a new message goes to the push service instead. Once the daemon has
    // seen the stream close, that is: a message handed to a stream that is still open counts as
    // delivered (a busy machine may take a moment to notice the closed socket).
    expect(await openStreams()).toBe(1)
    await page.close()
    await expect.poll(() => openStreams(), POLL).toBe(0)
    const id = await agentSays('Are you still there?')
    const sub = subscriptions[0] as FakeSubscriptionJson
    await expect
      .poll(() => rig.push.received(sub).length, {
        ...POLL,
        message: 'no push came (GET /v1/messages/{id} is logged above)',
      })
      .toBeGreaterThan(0)
      .catch(async (err: unknown) => {
        console.error(JSON.stringify((await rig.t.call('GET', `/v1/messages/${id}`)).body))
        throw err
      })
    expect(JSON.stringify(rig.push.received(sub)[0]?.payload)).toContain('Are you still there?')
  })

  it('fits a phone screen: the panel fills the viewport, every control a tap', async () => {
    const phone = await rig.browser.newContext({
      viewport: { width: 375, height: 667 },
      isMobile: true,
      hasTouch: true,
    })
    phone.setDefaultTimeout(60_000)
    try {
      const p = await phone.newPage()
      await p.goto(`${rig.site}/?u=visitor-2`)
      await p.getByRole('button', { name: 'Open chat' }).tap()
      const box = await p.getByRole('log', { name: 'Conversation' }).boundingBox()
      expect(box?.width).toBeGreaterThan(360)
      await p.getByRole('textbox', { name: 'Type a message' }).fill('Hi from my phone')
      await p.getByRole('button', { name: 'Send' }).tap()
      await expect
        .poll(() => p.getByRole('log', { name: 'Conversation' }).textContent(), POLL)
        .toContain('Hi from my phone')
    } finally {
      await phone.close()
    }
    expect(offsite).toEqual([])
  })
})
