/**
 * Email one-click unsubscribe (DESIGN §15, RFC 8058) through the daemon: the List-Unsubscribe
 * headers on a real SMTP message (smtp-server sink), the page, the one-click POST, and links we
 * did not sign doing nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startSmtpSink, type SmtpSink } from '../fakes/smtp-sink.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const PUBLIC = 'https://gw.example.test'

let sink: SmtpSink
let t: TestGateway

function config(publicUrl: string | null): string {
  return `${publicUrl === null ? '' : `server:\n  public_url: ${publicUrl}\n`}channels:
  mail:
    type: email
    smtp: { url: "${sink.url}" }
    smtp_listen: 127.0.0.1:0
    senders: [support@example.com]
    rules:
      rate: { per_second: 100, per_recipient_per_second: 100 }
`
}

beforeEach(async () => {
  sink = await startSmtpSink()
  t = await startGateway(config(PUBLIC), { dispatcher: true })
})
afterEach(async () => {
  await t.close()
  await sink.close()
})

async function contact(email: string): Promise<string> {
  const r = await t.call('POST', '/v1/contacts', { key: KEYS.admin, body: { email } })
  expect(r.status).toBe(201)
  return r.body.id as string
}

const send = (contactId: string) =>
  t.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: { contact_id: contactId, channel: 'mail', text: 'Our news', email: { subject: 'News' } },
  })

/** Sends one mail to a new contact; the contact and the path of its List-Unsubscribe URL. */
async function mailed(email: string) {
  const id = await contact(email)
  expect((await send(id)).status).toBe(202)
  const [mail] = await sink.waitFor(1, 10_000)
  const header = mail?.parsed.headers.get('list-unsubscribe')
  const raw = mail?.raw.toString('utf8') ?? ''
  return { id, header, raw }
}

const pathOf = (raw: string) => {
  const m = /^List-Unsubscribe:\s*<([^>]+)>/im.exec(raw.replace(/\r\n[ \t]+/g, ' '))
  expect(m).not.toBeNull()
  const url = new URL(m?.[1] ?? '')
  expect(url.origin).toBe(PUBLIC)
  return url.pathname
}

describe('email one-click unsubscribe', () => {
  it('every email carries List-Unsubscribe with a signed URL and List-Unsubscribe-Post', async () => {
    const { id, raw } = await mailed('ana@customer.example')
    const path = pathOf(raw)
    expect(path).toMatch(new RegExp(`^/unsubscribe/${id}\\.mail\\.[A-Za-z0-9_-]{43}$`))
    expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/im)
  })

  it('GET shows a page with a button and changes nothing; POST opts out (one_click)', async () => {
    const { id, raw } = await mailed('bo@customer.example')
    const path = pathOf(raw)
    const page = await t.call('GET', path, { key: null })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(page.text).toMatch(/<form method="post">/)
    expect(page.text).toMatch(/<button type="submit">Unsubscribe<\/button>/)
    expect(page.text).not.toMatch(/<script/i)
    expect((await t.call('GET', `/v1/contacts/${id}/consent`)).body.history).toEqual([])

    const done = await t.call('POST', path, {
      key: null,
      raw: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(done.status).toBe(200)
    expect(done.text).toMatch(/no more email/)
    const c = await t.call('GET', `/v1/contacts/${id}/consent`)
    expect(c.body.channels).toEqual([
      {
        channel: 'mail',
        status: 'opted_out',
        at: expect.any(String),
        source: { kind: 'one_click' },
      },
    ])
    const r = await send(id)
    expect(r.status).toBe(422)
    expect(r.body.error.code).toBe('opted_out')
    // A mail client may POST again: still one change.
    expect(
      (await t.call('POST', path, { key: null, raw: 'List-Unsubscribe=One-Click' })).status,
    ).toBe(200)
    expect((await t.call('GET', `/v1/contacts/${id}/consent`)).body.history).toHaveLength(1)
  })

  it('a tampered or unknown link does nothing: 400/404 with a plain page', async () => {
    const { id, raw } = await mailed('cy@customer.example')
    const path = pathOf(raw)
    const other = await contact('dee@customer.example')
    const flipped = path.slice(0, -1) + (path.endsWith('A') ? 'B' : 'A')
    // The last character's spare bits: this spelling decodes to the same bytes, yet is not ours.
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const sibling = path.slice(0, -1) + B64[B64.indexOf(path.at(-1) ?? 'A') ^ 1]
    const tampered = [
      flipped,
      sibling,
      path.replace(id, other), // someone else's id with this signature
      path.replace('.mail.', '.sms.'),
      `/unsubscribe/${id}.mail`,
      `/unsubscribe/${encodeURIComponent('<script>alert(1)</script>')}`,
    ]
    for (const p of tampered) {
      for (const method of ['GET', 'POST']) {
        const body = method === 'POST' ? { raw: 'List-Unsubscribe=One-Click' } : {}
        const r = await t.call(method, p, { key: null, ...body })
        expect(r.status, `${method} ${p}`).toBe(400)
        expect(r.headers.get('content-type')).toMatch(/^text\/html/)
        expect(r.text).not.toContain('<script>alert')
      }
    }
    // Signed by us, but for a contact that does not exist.
    const ghost = t.gw.svc.unsubscribe.url('ct_01jb2m6x3v8k4q9r7s5t1w0y2z', 'mail') ?? ''
    const gone = await t.call('POST', new URL(ghost).pathname, { key: null })
    expect(gone.status).toBe(404)
    for (const c of [id, other])
      expect((await t.call('GET', `/v1/contacts/${c}/consent`)).body.history).toEqual([])
    expect((await send(id)).status).toBe(202)
  })
})

describe('without a public URL', () => {
  it('email goes without List-Unsubscribe (a local address cannot be reached)', async () => {
    await t.close()
    t = await startGateway(config(null), { dispatcher: true })
    const { raw } = await mailed('eve@customer.example')
    expect(raw).not.toMatch(/^List-Unsubscribe/im)
  })
})
