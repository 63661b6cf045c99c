/**
 * Display names through the daemon: WhatsApp Cloud's profile name and LINE's displayName are one
 * string; the contact gets it split into first/last name (so `Hi {{first_name}}` greets by the
 * first name) and keeps the whole as `attributes.display_name`. A name the contact already has
 * (set by an agent or the app) is never overwritten.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../fakes/connector-context.js'
import {
  graphChange,
  graphInbound,
  graphWebhookRequest,
  startGraphFake,
  type GraphFake,
} from '../fakes/graph-api.js'
import {
  lineEvents,
  lineUserId,
  lineWebhookRequest,
  startLineFake,
  type LineFake,
} from '../fakes/line-api.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const SECRET = 'display-name-secret'
const WA_ID = '4915112345678'
const PHONE = `+${WA_ID}`

let graph: GraphFake | null = null
let line: LineFake | null = null
let t: TestGateway | null = null

afterEach(async () => {
  await t?.close()
  await graph?.close()
  await line?.close()
  t = graph = line = null
})

async function start(): Promise<{ graph: GraphFake; line: LineFake; t: TestGateway }> {
  graph = await startGraphFake()
  line = await startLineFake()
  t = await startGateway(
    `server:
  public_url: https://gw.example
channels:
  wa:
    type: whatsapp-cloud
    phone_number_id: "${graph.phoneNumberId}"
    access_token: ${graph.accessToken}
    app_secret: ${SECRET}
    verify_token: verify
    graph_url: ${graph.graphUrl}
  line:
    type: line
    channel_access_token: ${line.channelAccessToken}
    channel_secret: ${SECRET}
    api_base_url: ${line.baseUrl}
`,
    { dispatcher: true },
  )
  return { graph, line, t }
}

/** The WhatsApp user named `name` writes; resolves once the message is stored. */
async function waWrites(id: string, name: string) {
  const msg = { id, type: 'text', text: { body: 'hello' }, timestamp: nowSeconds() }
  const change = graphChange(graph!.phoneNumberId, graphInbound(WA_ID, name, msg))
  const req = graphWebhookRequest(SECRET, change, { url: 'http://gw.test/hooks/whatsapp-cloud/wa' })
  expect((await t!.gw.app.request(req)).status).toBe(200)
  return waitFor(() => t!.gw.store.messages.findByPlatformId('wa', id))
}

const nowSeconds = () => String(Math.floor(Date.now() / 1000))
const contact = async (id: string) => (await t!.call('GET', `/v1/contacts/${id}`)).body

/** Sends `text` to the contact on `channel`; resolves once the platform took it. */
async function sendAndSettle(contactId: string, channel: string, text: string) {
  const r = await t!.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: { contact_id: contactId, channel, text },
  })
  expect(r.status).toBe(202)
  await expect
    .poll(async () => (await t!.call('GET', `/v1/messages/${r.body.id}`)).body.status, {
      timeout: 5000,
    })
    .toBe('sent')
}

const waTexts = () => graph!.sends.map((s) => (s.body.text as { body: string }).body)

describe('display names', () => {
  it('a WhatsApp profile name "Wanda Maximoff" becomes Wanda / Maximoff, and Hi {{first_name}} says "Hi Wanda"', async () => {
    await start()
    const m = await waWrites('wamid.wanda-1', 'Wanda Maximoff')
    expect(await contact(m.contact_id)).toMatchObject({
      first_name: 'Wanda',
      last_name: 'Maximoff',
      phone: PHONE,
      attributes: { display_name: 'Wanda Maximoff' },
    })
    await sendAndSettle(m.contact_id, 'wa', 'Hi {{first_name}}, it is {{display_name}} we know')
    expect(waTexts()).toEqual(['Hi Wanda, it is Wanda Maximoff we know'])
  })

  it('a name the contact already has is kept; display_name follows the profile', async () => {
    await start()
    const made = await t!.call('POST', '/v1/contacts', {
      body: {
        first_name: 'Wendy',
        attributes: { tier: 'gold' },
        identities: [{ channel: 'wa', address: PHONE }],
      },
    })
    expect(made.status).toBe(201)
    await waWrites('wamid.wendy-1', 'Wanda Maximoff')
    expect(await contact(made.body.id)).toMatchObject({
      first_name: 'Wendy',
      last_name: null,
      attributes: { tier: 'gold', display_name: 'Wanda Maximoff' },
    })
    await waWrites('wamid.wendy-2', 'Scarlet Witch')
    expect((await contact(made.body.id)).attributes).toEqual({
      tier: 'gold',
      display_name: 'Scarlet Witch',
    })
    await sendAndSettle(made.body.id, 'wa', 'Hi {{first_name}}')
    expect(waTexts()).toEqual(['Hi Wendy'])
  })

  it('a known contact without a name gets one from its next message; an agent’s correction then stays', async () => {
    await start()
    const made = await t!.call('POST', '/v1/contacts', {
      body: { identities: [{ channel: 'wa', address: PHONE }] },
    })
    await waWrites('wamid.anon-1', 'Doe, Jane')
    expect(await contact(made.body.id)).toMatchObject({ first_name: 'Jane', last_name: 'Doe' })
    const fixed = await t!.call('PATCH', `/v1/contacts/${made.body.id}`, {
      body: { first_name: 'Janet' },
    })
    expect(fixed.status).toBe(200)
    await waWrites('wamid.anon-2', 'Jane Doe')
    expect(await contact(made.body.id)).toMatchObject({
      first_name: 'Janet',
      last_name: 'Doe',
      attributes: { display_name: 'Jane Doe' },
    })
  })

  it('an emoji-only profile name gives no first name: {{first_name|there}} falls back', async () => {
    await start()
    const m = await waWrites('wamid.emoji-1', '🌹🌹')
    expect(await contact(m.contact_id)).toMatchObject({
      first_name: null,
      last_name: null,
      attributes: { display_name: '🌹🌹' },
    })
    await sendAndSettle(m.contact_id, 'wa', 'Hi {{first_name|there}}')
    expect(waTexts()).toEqual(['Hi there'])
  })

  it('a LINE displayName is split the same way', async () => {
    const { line: f } = await start()
    const user = lineUserId(7)
    f.setProfile(user, '  Jean-Luc   Picard ')
    const req = lineWebhookRequest(SECRET, [lineEvents.text(user, 'line-1', 'bonjour')], {
      url: 'http://gw.test/hooks/line/line',
    })
    expect((await t!.gw.app.request(req)).status).toBe(200)
    const m = await waitFor(() => t!.gw.store.messages.findByPlatformId('line', 'line-1'))
    expect(await contact(m.contact_id)).toMatchObject({
      first_name: 'Jean-Luc',
      last_name: 'Picard',
      attributes: { display_name: 'Jean-Luc Picard' },
    })
    await sendAndSettle(m.contact_id, 'line', 'Hi {{first_name}}')
    expect(f.delivered().map((p) => p.messages)).toEqual([[{ type: 'text', text: 'Hi Jean-Luc' }]])
  })
})
