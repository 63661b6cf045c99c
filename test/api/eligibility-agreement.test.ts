/**
 * `GET /v1/contacts/{id}/eligibility` and a real `POST /v1/messages` give the same answer, one row
 * per refusal code eligibility can answer: the plain text send a UI would try is refused with
 * eligibility's code (or accepted when there is none), and the best send eligibility allows
 * (a kind from `allowed_kinds`, with a tag where tags are mandatory) is accepted exactly when
 * `can_send` is true. Webhook channels stand in for every rule; WhatsApp Web (its fake client)
 * for the daily cap on first messages to strangers (`unreplied_cap`).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { createConnector } from '../../src/connectors/index.js'
import { createWhatsAppConnector } from '../../src/connectors/whatsapp/index.js'
import { FakeMessageMedia, FakeWWebClient } from '../fakes/wweb-client.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const hook = (name: string, extra = '') => `  ${name}:
    type: webhook
    url: http://127.0.0.1:9/out
    secret: ${name}-secret
    address: any
${extra}`

const CONFIG = `server:
  public_url: http://127.0.0.1:9
channels:
${hook('plain')}
${hook('other')}
  off:
    type: webhook
    url: http://127.0.0.1:9/out
    secret: \${OFF_SECRET}
${hook('loose')}
${hook('first', '    rules: { contact_first: true }\n')}
${hook('tpl', '    rules: { window: { duration: 24h, after: templates_only } }\n')}
${hook('deny', '    rules: { window: { duration: 24h, after: deny } }\n')}
${hook('tagged', '    rules: { mandatory_tags: [billing] }\n')}
  mail:
    type: webhook
    url: http://127.0.0.1:9/out
    secret: mail-secret
    address: email
templates:
  welcome:
    text: "Hi {{first_name|there}}, your order has shipped."
`

interface Row {
  /** The code both must answer; null: both let it through. */
  code: string | null
  channel: string
  /** Makes the state; returns the contact's id. */
  setup(t: TestGateway): Promise<string>
}

async function contact(t: TestGateway, body: Record<string, unknown>): Promise<string> {
  const r = await t.call('POST', '/v1/contacts', { body: { first_name: 'Ana', ...body } })
  expect(r.status, JSON.stringify(r.body)).toBe(201)
  return r.body.id as string
}

const on = (channel: string, address = 'ana-1') => ({ identities: [{ channel, address }] })

const ROWS: Row[] = [
  { code: null, channel: 'plain', setup: (t) => contact(t, on('plain')) },
  { code: 'channel_disabled', channel: 'off', setup: (t) => contact(t, on('off')) },
  {
    code: 'address_invalid',
    channel: 'loose',
    async setup(t) {
      const id = await contact(t, on('loose', 'not-a-phone'))
      // The relay now wants phone numbers: the address stored before no longer fits.
      const yaml = readFileSync(t.file, 'utf8').replace(
        'secret: loose-secret\n    address: any',
        'secret: loose-secret\n    address: phone',
      )
      writeFileSync(t.file, yaml)
      expect((await t.call('POST', '/v1/admin/reload')).status).toBe(200)
      return id
    },
  },
  {
    code: 'contact_blocked',
    channel: 'plain',
    setup: (t) => contact(t, { ...on('plain'), blocked: true }),
  },
  {
    code: 'contact_unreachable',
    channel: 'plain',
    async setup(t) {
      const id = await contact(t, on('plain'))
      await t.gw.svc.store.identities.setReachable(
        'plain',
        'ana-1',
        false,
        new Date().toISOString(),
      )
      return id
    },
  },
  { code: 'contact_first', channel: 'first', setup: (t) => contact(t, on('first')) },
  { code: 'template_required', channel: 'tpl', setup: (t) => contact(t, on('tpl')) },
  { code: 'window_closed', channel: 'deny', setup: (t) => contact(t, on('deny')) },
  {
    code: 'thread_conflict',
    channel: 'plain',
    async setup(t) {
      const id = await contact(t, {
        identities: [
          { channel: 'plain', address: 'ana-1' },
          { channel: 'other', address: 'ana-1' },
        ],
      })
      const th = await t.call('POST', '/v1/threads', { body: { contact_id: id, channel: 'other' } })
      expect(th.status).toBe(201)
      return id
    },
  },
  { code: 'tags_required', channel: 'tagged', setup: (t) => contact(t, on('tagged')) },
]

let t: TestGateway | null = null
afterEach(async () => {
  await t?.close()
  t = null
})

interface Entry {
  channel: string
  can_send: boolean
  allowed_kinds: string[]
  code: string | null
}

async function eligibilityOf(g: TestGateway, id: string, channel: string): Promise<Entry | null> {
  const e = await g.call('GET', `/v1/contacts/${id}/eligibility`)
  expect(e.status).toBe(200)
  return (e.body.channels as Entry[]).find((c) => c.channel === channel) ?? null
}

const send = (g: TestGateway, body: Record<string, unknown>) =>
  g.call('POST', '/v1/messages', { key: KEYS.alice, body })

/** What a send lacks when eligibility says "yes, but": the kind or the tag it asks for. */
const LACKING: Record<string, Record<string, unknown>> = {
  template_required: { text: 'Hello {{first_name}}' },
  tags_required: { text: 'Hello {{first_name}}', tags: [] },
}

/**
 * The agreement itself. The best send eligibility allows (text when it may, else a template; with
 * a tag) is accepted exactly when `can_send` says so, and else refused with eligibility's code; a
 * "yes, but" code (`can_send` with a code) refuses the send that lacks what it asks for.
 */
async function expectAgreement(
  g: TestGateway,
  id: string,
  channel: string,
  code: string | null,
): Promise<void> {
  const e = await eligibilityOf(g, id, channel)
  expect(e, `eligibility lists ${channel}`).not.toBeNull()
  expect(e?.code ?? null).toBe(code)
  const lacking = e?.can_send === true && e.code !== null ? LACKING[e.code] : undefined
  if (e?.can_send === true && e.code !== null) expect(lacking, e.code).toBeDefined()
  if (lacking !== undefined) {
    const r = await send(g, { contact_id: id, channel, ...lacking })
    expect(r.body.error?.code ?? null, JSON.stringify(r.body)).toBe(e?.code)
  }
  const kinds = e?.allowed_kinds ?? []
  const best = await send(g, {
    contact_id: id,
    channel,
    ...(kinds.includes('text')
      ? { text: 'Hello {{first_name}}' }
      : { template: { name: 'welcome' } }),
    tags: ['billing'],
  })
  expect(best.status === 202, JSON.stringify(best.body)).toBe(e?.can_send)
  if (best.status !== 202) expect(best.body.error?.code).toBe(e?.code)
  else if (lacking === undefined) expect(e?.code).toBeNull()
}

describe('eligibility agrees with a real send', () => {
  it.each(ROWS.map((r) => [r.code ?? 'allowed', r] as const))('%s', async (_, row) => {
    t = await startGateway(CONFIG)
    const id = await row.setup(t)
    await expectAgreement(t, id, row.channel, row.code)
  })

  it('no_address: a channel the contact has no address on is not listed, and a send says why', async () => {
    t = await startGateway(CONFIG)
    const id = await contact(t, on('plain'))
    expect(await eligibilityOf(t, id, 'mail')).toBeNull()
    const r = await send(t, { contact_id: id, channel: 'mail', text: 'Hello' })
    expect(r.status).toBe(422)
    expect(r.body.error.code).toBe('no_address')
  })
})

describe('eligibility agrees with a real send on WhatsApp Web', () => {
  it('unreplied_cap: the daily cap on first messages to strangers is counted', async () => {
    let client: FakeWWebClient | null = null
    t = await startGateway(
      `channels:
  wa:
    type: whatsapp
    chromium_path: ${process.execPath}
    rules:
      max_unreplied_per_day: 1
templates:
  welcome:
    text: "Hi {{first_name|there}}, your order has shipped."
`,
      {
        connectorFactory: async (deps, settings) =>
          settings.type !== 'whatsapp'
            ? createConnector(deps, settings)
            : createWhatsAppConnector(deps, settings, {
                clientFactory: (o) => (client = new FakeWWebClient(o)),
                mediaFactory: (mimetype, data, filename, filesize) =>
                  new FakeMessageMedia(mimetype, data, filename, filesize),
                initTimeoutMs: 2000,
                backoff: { baseMs: 20, maxMs: 80 },
                pathEnv: '',
              }),
      },
    )
    const g = t
    // A WhatsApp Web session is stateful: on PostgreSQL its connector starts once this daemon
    // holds the channel's lock, a moment after the gateway is up.
    await expect.poll(() => client !== null, { timeout: 10_000 }).toBe(true)
    if (client === null) throw new Error('the WhatsApp connector made no client')
    ;(client as FakeWWebClient).becomeReady()
    const first = await contact(g, on('wa', '+4915110000001'))
    const second = await contact(g, on('wa', '+4915110000002'))
    // Before the cap is used up both agree the stranger may get a template.
    const e0 = await eligibilityOf(g, second, 'wa')
    expect(e0).toMatchObject({ can_send: true, code: 'template_required' })
    // One first message to a stranger uses up today's cap of 1 …
    const welcome = await send(g, {
      contact_id: first,
      channel: 'wa',
      template: { name: 'welcome' },
    })
    expect(welcome.status, JSON.stringify(welcome.body)).toBe(202)
    // … so the second stranger can't be messaged, and both say so.
    await expectAgreement(g, second, 'wa', 'unreplied_cap')
  })
})
