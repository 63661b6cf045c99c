/**
 * The agent console in a real browser against a real daemon (DESIGN §13), one test per seed
 * workflow: sign-in, find a closed conversation and reopen it (001), eligibility before a button
 * and a new session by phone (000, 002), compose with snippet preview, template, attachment, email
 * sender/subject/bcc and required tags (004), thread actions, bulk from a search with preview,
 * progress and cancel (000, 003), live updates, data rendered as text, a phone-sized screen.
 * Elements are found by role and accessible name only, as a screen reader would.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { KEYS } from '../helpers/harness.js'
import { newPage, shot, signIn, startRig, type ConsoleRig } from './browser.js'

let rig: ConsoleRig

// A browser on two shared cores, beside the rest of `npm test`, can take many seconds per step:
// the waits are generous so the suite stays deterministic; nothing here asserts speed.
vi.setConfig({ testTimeout: 120_000 })
const POLL = { timeout: 60_000, interval: 100 }

beforeAll(async () => {
  rig = await startRig()
}, 60_000)
afterAll(async () => {
  await rig?.close()
})

/** A message from a person on the `sms` channel, as the relay would deliver it. */
async function inbound(id: string, phone: string, first: string, last: string, text: string) {
  const raw = JSON.stringify({
    id,
    from: { address: phone, first_name: first, last_name: last },
    text,
  })
  const headers = {
    'content-type': 'application/json',
    'x-omnigate-signature': sign('sms-secret', raw),
  }
  const r = await rig.t.call('POST', '/v1/channels/sms/inbound', { key: null, raw, headers })
  expect(r.status).toBe(200)
  return r.body as { contact_id: string; thread_id: string; message_id: string }
}

async function contact(body: Record<string, unknown>): Promise<string> {
  const r = await rig.t.call('POST', '/v1/contacts', { key: KEYS.admin, body })
  expect(r.status, JSON.stringify(r.body)).toBe(201)
  return r.body.id as string
}

const relayed = (text: string) => () =>
  rig.relay.received.some(
    (r) => (JSON.parse(r.rawBody.toString()) as { text?: string }).text === text,
  )

describe('sign-in', () => {
  it('refuses a wrong key and an app key with an alert; keeps an agent key in sessionStorage only', async () => {
    const { page, offsite } = await newPage(rig)
    await page.goto(`${rig.base}/console`)
    await page.getByLabel('API key').fill('not-a-key')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByRole('alert').textContent(), POLL).toMatch(/unknown API key/)
    expect(await page.getByRole('searchbox').count()).toBe(0)

    await page.getByLabel('API key').fill(KEYS.shop)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toMatch(/agent and admin keys.*app/)
    expect(await page.getByRole('searchbox').count()).toBe(0)
    await shot(page, 'sign-in-refused')

    await page.getByLabel('API key').fill(KEYS.alice)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('searchbox', { name: 'Search people' }).waitFor()
    const storage = await page.evaluate<{ session: string[]; local: number; url: string }>(
      '({ session: Object.values(sessionStorage), local: localStorage.length, url: location.href })',
    )
    expect(storage.session).toEqual([KEYS.alice])
    expect(storage.local).toBe(0)
    expect(storage.url).not.toContain(KEYS.alice)
    // Signed in means live: the stream is open.
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor()
    expect(offsite).toEqual([])
    await page.context().close()
  })

  it('serves the console with a strict CSP, no-cache index and long-cached hashed assets', async () => {
    const index = await fetch(`${rig.base}/console/`)
    expect(index.headers.get('content-security-policy')).toMatch(/^default-src 'self'/)
    expect(index.headers.get('cache-control')).toBe('no-cache')
    const html = await index.text()
    expect(html).not.toMatch(/<script>|<style|style=/)
    const asset = /src="(assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1]
    const js = await fetch(`${rig.base}/console/${asset}`)
    expect(js.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable/)
    expect(js.headers.get('content-type')).toMatch(/javascript/)
    expect((await fetch(`${rig.base}/console/assets/nope.js`)).status).toBe(404)
  })
})

describe('seed 001: find a closed conversation and reopen it', () => {
  it('searches with / and the Closed filter, messages the contact, the thread reopens assigned to me', async () => {
    const ana = await inbound('s1-1', '+4917011110001', 'Ana', 'Lopez', 'my parcel never came')
    await rig.t.call('POST', `/v1/threads/${ana.thread_id}/close`, { key: KEYS.bob, body: {} })
    await inbound('s1-2', '+4917011110002', 'Anabel', 'Open', 'still open')

    const { page } = await newPage(rig)
    await signIn(rig, page, KEYS.alice)
    // `/` focuses the search box in the same turn, so keys typed right after it land there (a
    // deferred focus lost the first letters on a loaded machine and searched "na").
    const focusedAtOnce = await page.evaluate<string | null>(`(() => {
      dispatchEvent(new KeyboardEvent('keydown', { key: '/', bubbles: true }))
      const type = document.activeElement?.getAttribute('type') ?? null
      document.activeElement?.blur()
      return type
    })()`)
    expect(focusedAtOnce).toBe('search')
    await page.keyboard.press('/')
    await page.keyboard.type('ana')
    await page.getByRole('button', { name: 'Closed', exact: true }).click()
    await page.getByRole('link', { name: 'Ana Lopez' }).waitFor()
    await expect.poll(() => page.getByRole('link', { name: 'Anabel Open' }).count(), POLL).toBe(0)
    await shot(page, 'people-search')

    await page.getByRole('link', { name: 'Ana Lopez' }).click()
    const timeline = page.getByRole('region', { name: 'Timeline' })
    await timeline.getByText('my parcel never came').waitFor()
    await timeline.getByText(/Thread closed.*by bob/).waitFor()
    await page.getByRole('button', { name: 'Start new chat on sms' }).click()
    await page.getByRole('textbox', { name: 'Message' }).fill('We found it, {{first_name}}!')
    await page.getByRole('region', { name: 'Preview' }).getByText('We found it, Ana!').waitFor()
    await page.keyboard.press('Control+Enter')
    await expect.poll(relayed('We found it, Ana!'), POLL).toBe(true)
    await timeline.getByText('We found it, Ana!').waitFor()
    await page.getByText(/sms: open · assigned to alice/).waitFor()
    await shot(page, 'contact-page')
    await page.context().close()
  })
  it('narrows the people list with Mine / All and Open / Snoozed / Closed', async () => {
    const mine = await inbound('s1-3', '+4917011110011', 'Filo', 'Mine', 'hello')
    const other = await inbound('s1-4', '+4917011110012', 'Filo', 'Other', 'hello')
    const later = await inbound('s1-5', '+4917011110013', 'Filo', 'Later', 'hello')
    const post = (thread: string, action: string, body: object) =>
      rig.t.call('POST', `/v1/threads/${thread}/${action}`, { key: KEYS.alice, body })
    expect((await post(mine.thread_id, 'assign', { agent: 'alice' })).status).toBe(200)
    expect((await post(other.thread_id, 'assign', { agent: 'bob' })).status).toBe(200)
    const until = new Date(Date.now() + 86_400_000).toISOString()
    expect((await post(later.thread_id, 'snooze', { until })).status).toBe(200)

    const { page } = await newPage(rig)
    await signIn(rig, page, KEYS.alice)
    await page.getByRole('searchbox', { name: 'Search people' }).fill('filo')
    const names = () =>
      page.getByRole('list', { name: 'Results' }).getByRole('link').allTextContents()
    const shows = (expected: string[]) =>
      expect.poll(async () => (await names()).sort(), POLL).toEqual([...expected].sort())
    const press = (name: string) => page.getByRole('button', { name, exact: true }).click()

    await shows(['Filo Mine', 'Filo Other', 'Filo Later'])
    await press('Open')
    await shows(['Filo Mine', 'Filo Other'])
    await press('Mine')
    await shows(['Filo Mine'])
    await press('Snoozed')
    await shows([])
    await press('All')
    await shows(['Filo Later'])
    await press('Closed')
    await shows([])
    await page.context().close()
  })
})

describe('seeds 000 and 002: eligibility first, and a new session with a new person', () => {
  it('shows no button where the channel may not be used, only the reason', async () => {
    const id = await contact({
      first_name: 'Cleo',
      identities: [
        { channel: 'chat', address: 'cleo-7' },
        { channel: 'sms', address: '+4917011110003' },
      ],
    })
    const { page } = await newPage(rig)
    await signIn(rig, page, KEYS.alice)
    await page.goto(`${rig.base}/console/#/contacts/${id}`)
    await page.getByRole('button', { name: 'Start new chat on sms' }).waitFor()
    expect(await page.getByRole('button', { name: /on chat$/ }).count()).toBe(0)
    await page
      .getByText(/wrote to it first/)
      .first()
      .waitFor()
    await page.context().close()
  })

  it('starts a session by phone number; an email channel refuses a phone with an alert', async () => {
    const { page } = await newPage(rig)
    await signIn(rig, page, KEYS.alice)
    await page.getByRole('link', { name: 'New session' }).first().click()
    await page.getByLabel('Channel').selectOption('mail')
    await page.getByLabel('Phone or email').fill('+4917011110004')
    await page.getByRole('textbox', { name: 'Message' }).fill('Hello')
    await page.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => page.getByRole('alert').textContent(), POLL).toMatch(/\S/)

    await page.getByLabel('Channel').selectOption('sms')
    await page.getByLabel('Phone or email').fill('+49 170 1111 0005')
    await page.getByLabel('First name').fill('Dora')
    await page.getByRole('textbox', { name: 'Message' }).fill('Your order is ready, Dora')
    await shot(page, 'new-session')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.getByRole('heading', { name: 'Dora' }).waitFor()
    await expect.poll(relayed('Your order is ready, Dora'), POLL).toBe(true)
    await page.getByRole('button', { name: 'Message on sms' }).waitFor()
    await page.context().close()
  })
})

describe('seed 004: compose', () => {
  it('email with sender, subject and bcc; a template with title and signature; an attachment', async () => {
    const id = await contact({
      first_name: 'Eva',
      email: 'eva@example.com',
      identities: [{ channel: 'mail', address: 'eva@example.com' }],
    })
    const { page } = await newPage(rig)
    await signIn(rig, page, KEYS.alice)
    await page.goto(`${rig.base}/console/#/contacts/${id}`)
    await page.getByRole('button', { name: 'Start new chat on mail' }).click()
    await page.getByRole('textbox', { name: 'From' }).fill('billing@example.com')
    await page.getByRole('textbox', { name: 'Subject' }).fill('Your invoice')
    await page.getByRole('textbox', { name: 'Bcc' }).fill('boss@example.com')
    await page
      .getByRole('textbox', { name: 'Message' })
      .fill('Hi {{first_name|there}}, the invoice is attached.')
    await page.getByLabel('Attachments').setInputFiles({
      name: 'invoice.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('total: 12 EUR'),
    })
    await page
      .getByRole('region', { name: 'Preview' })
      .getByText('Hi Eva, the invoice is attached.')
      .waitFor()
    await shot(page, 'compose-email')
    await page.getByRole('button', { name: 'Send' }).click()
    const [mail] = await rig.sink.waitFor(1)
    expect(mail!.parsed.subject).toBe('Your invoice')
    expect(mail!.envelope.from).toBe('billing@example.com')
    expect(mail!.envelope.to).toContain('boss@example.com')
    expect(mail!.parsed.attachments.map((a) => a.filename)).toEqual(['invoice.txt'])
    const timeline = page.getByRole('region', { name: 'Timeline' })
    await timeline.getByText(/Bcc: boss@example.com/).waitFor()

    // A template: its title and signature show in the preview before sending.
    await page.getByRole('textbox', { name: 'Message' }).fill('')
    await page.getByRole('textbox', { name: 'Template', exact: true }).fill('refund_update')
    await page.getByRole('textbox', { name: 'Template variables' }).fill('status=approved')
    const preview = page.getByRole('region', { name: 'Preview' })
    await preview
      .getByText(/Refund update[\s\S]*Hi Eva, your refund is approved\.[\s\S]*Example Support/)
      .waitFor()
    await page.context().close()
  })

  it('a channel with required tags: the refusal is an alert, with tags it goes', async () => {
    const id = await contact({
      first_name: 'Finn',
      identities: [{ channel: 'billing', address: '+4917011110006' }],
    })
    const { page } = await newPage(rig)
    await signIn(rig, page, KEYS.alice)
    await page.goto(`${rig.base}/console/#/contacts/${id}`)
    await page.getByRole('button', { name: 'Start new chat on billing' }).click()
    await page.getByRole('textbox', { name: 'Message' }).fill('About your refund')
    await page.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => page.getByRole('alert').textContent(), POLL).toMatch(/tag/i)
    await page.getByRole('textbox', { name: 'Thread tags' }).fill('refund')
    await page.getByRole('button', { name: 'Send' }).click()
    await expect.poll(relayed('About your refund'), POLL).toBe(true)
    await page.getByText(/billing: open .* tags: refund/).waitFor()
    await page.context().close()
  })
})

describe('thread actions', () => {
  it('Assign to me, tags, Snooze, Close — each lands in the timeline', async () => {
    const g = await inbound('ta-1', '+4917011110007', 'Gus', 'Actions', 'help please')
    const { page } = await newPage(rig)
    await signIn(rig, page, KEYS.bob)
    await page.goto(`${rig.base}/console/#/contacts/${g.contact_id}`)
    const timeline = page.getByRole('region', { name: 'Timeline' })
    await page.getByRole('button', { name: 'Assign to me' }).click()
    await page
      .getByText(/assigned to bob/)
      .first()
      .waitFor()
    await page.getByRole('textbox', { name: 'Tags', exact: true }).fill('vip, refund')
    await page.getByRole('button', { name: 'Save tags' }).click()
    await timeline.getByText(/Thread tagged/).waitFor()
    await page.getByRole('button', { name: 'Snooze' }).click()
    await page.getByText(/sms: snoozed until/).waitFor()
    await page.getByRole('button', { name: 'Close' }).click()
    await timeline.getByText(/Thread closed by bob/).waitFor()
    expect(await page.getByRole('button', { name: 'Close' }).count()).toBe(0)
    // Snoozing a closed thread is refused by the API: shown as an alert (via the API directly here,
    // since the console offers no Snooze on a closed thread).
    const r = await rig.t.call('POST', `/v1/threads/${g.thread_id}/snooze`, {
      key: KEYS.bob,
      body: { until: new Date(Date.now() + 3_600_000).toISOString() },
    })
    expect(r.body.error.code).toBe('thread_closed')
    await page.context().close()
  })
})

describe('seeds 000 and 003: bulk from a search', () => {
  it('previews with figures, sends with a progress bar to done', async () => {
    for (let i = 0; i < 4; i++)
      await contact({
        first_name: 'Bulky',
        last_name: `B${i}`,
        phone: `+49170222200${i}`,
        identities: [{ channel: 'sms', address: `+49170222200${i}` }],
      })
    await contact({
      first_name: 'Bulky',
      last_name: 'Blocked',
      blocked: true,
      identities: [{ channel: 'sms', address: '+491702222099' }],
    })
    const { page } = await newPage(rig)
    await signIn(rig, page, KEYS.alice)
    await page.getByRole('searchbox', { name: 'Search people' }).fill('bulky')
    await page.getByRole('link', { name: 'Bulky B3' }).waitFor()
    await page.getByRole('button', { name: 'Bulk message' }).click()
    await page.getByLabel('Send on channel').selectOption('sms')
    await page.getByRole('textbox', { name: 'Message' }).fill('Sale today, {{first_name}}')
    await page.getByRole('button', { name: 'Preview' }).click()
    await page.getByText('4 of 5 would get it; skipped: contact_blocked 1').waitFor()
    await page.getByRole('button', { name: 'Send' }).click()
    await page.getByRole('progressbar', { name: 'Bulk progress' }).waitFor()
    await page.getByText(/^done: 4 of 4 done/).waitFor()
    expect(await page.getByRole('progressbar').getAttribute('value')).toBe('4')
    await shot(page, 'bulk')
    await page.context().close()
  })

  it('Cancel bulk stops what is not sent yet', async () => {
    for (let i = 0; i < 6; i++)
      await contact({
        first_name: 'Slowpoke',
        last_name: `S${i}`,
        identities: [{ channel: 'slow', address: `+49170333300${i}` }],
      })
    const { page } = await newPage(rig)
    await signIn(rig, page, KEYS.alice)
    await page.getByRole('searchbox', { name: 'Search people' }).fill('slowpoke')
    await page.getByRole('link', { name: 'Slowpoke S5' }).waitFor()
    await page.getByRole('button', { name: 'Bulk message' }).click()
    await page.getByLabel('Send on channel').selectOption('slow')
    await page.getByRole('textbox', { name: 'Message' }).fill('one a second')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.getByRole('button', { name: 'Cancel bulk' }).click()
    await page.getByText(/^cancelled: .*cancelled [1-6]/).waitFor()
    expect(await page.getByRole('button', { name: 'Cancel bulk' }).count()).toBe(0)
    await page.context().close()
  })
})

describe('live updates, text only, phone screens', () => {
  it('a new inbound message shows as unread in the list and in the open timeline without reload', async () => {
    const h = await inbound('lv-1', '+4917011110008', 'Hana', 'Live', 'first')
    const { page } = await newPage(rig)
    await signIn(rig, page, KEYS.alice)
    await page.getByRole('searchbox', { name: 'Search people' }).fill('hana')
    await page.getByRole('link', { name: 'Hana Live' }).waitFor()
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor()
    await inbound('lv-2', '+4917011110008', 'Hana', 'Live', 'second')
    await page.getByText('1 unread').waitFor()
    await page.getByRole('link', { name: 'Hana Live' }).click()
    const timeline = page.getByRole('region', { name: 'Timeline' })
    await timeline.getByText('second').waitFor()
    await inbound('lv-3', '+4917011110008', 'Hana', 'Live', 'third, live')
    await timeline.getByText('third, live').waitFor()
    expect(h.contact_id).toMatch(/^ct_/)
    await page.context().close()
  })

  it('renders data as text: a name made of HTML shows as those characters and runs nothing', async () => {
    const evil = '<img src=x onerror=alert(1)>'
    const id = await contact({
      first_name: evil,
      phone: '+4917011110009',
      identities: [{ channel: 'sms', address: '+4917011110009' }],
    })
    await inbound('x-1', '+4917011110009', evil, '', '<script>alert(2)</script>')
    const { page, dialogs } = await newPage(rig)
    await signIn(rig, page, KEYS.alice)
    await page.getByRole('searchbox', { name: 'Search people' }).fill('+4917011110009')
    await page.getByRole('link', { name: evil }).click()
    await page.getByRole('heading', { name: evil }).waitFor()
    await page
      .getByRole('region', { name: 'Timeline' })
      .getByText('<script>alert(2)</script>')
      .waitFor()
    expect(await page.locator('img').count()).toBe(0)
    expect(dialogs).toEqual([])
    expect(id).toMatch(/^ct_/)
    await page.context().close()
  })

  it('works on a phone-sized screen: no sideways scrolling, the same names', async () => {
    const { page } = await newPage(rig, { width: 390, height: 844 })
    await signIn(rig, page, KEYS.alice)
    await page.getByRole('searchbox', { name: 'Search people' }).fill('ana')
    await page.getByRole('link', { name: 'Ana Lopez' }).click()
    await page.getByRole('region', { name: 'Timeline' }).waitFor()
    const wide = await page.evaluate('document.documentElement.scrollWidth > window.innerWidth')
    expect(wide).toBe(false)
    await shot(page, 'phone')
    await page.context().close()
  })
})
