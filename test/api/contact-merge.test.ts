/**
 * Contact merge (DESIGN §15), through the daemon with the dispatcher running: two webhook channels
 * relay to a local receiver, app webhooks go to another. `POST /v1/contacts/{id}/merge` moves
 * everything of the duplicates into the target, reads of a merged id answer 301, sends and writes
 * addressed to it land on the survivor, and none of the sends racing a merge is lost.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

let relay: WebhookReceiver
let events: WebhookReceiver
let t: TestGateway
let inbound = 0

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
  events = await startWebhookReceiver({ secret: 'events-secret' })
  t = await startGateway(
    `channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
  chat:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
webhooks:
  - url: ${events.url}
    secret: events-secret
    events: [contact.merged, thread.closed]
`,
    { dispatcher: true },
  )
})
afterEach(async () => {
  await t.close()
  await relay.close()
  await events.close()
})

/** A signed inbound message on a webhook channel; its stored ids. */
async function receive(channel: string, from: string, text: string) {
  const raw = JSON.stringify({ id: `in-${++inbound}`, from: { address: from }, text })
  const headers = {
    'content-type': 'application/json',
    'x-omnigate-signature': sign('relay-secret', raw),
  }
  const r = await t.call('POST', `/v1/channels/${channel}/inbound`, { key: null, raw, headers })
  expect(r.status).toBe(200)
  return r.body as { message_id: string; contact_id: string; thread_id: string }
}

async function contact(body: Record<string, unknown>): Promise<string> {
  const r = await t.call('POST', '/v1/contacts', { body })
  expect(r.status).toBe(201)
  return r.body.id as string
}

const merge = (into: string, from: unknown, key: string | null = KEYS.alice) =>
  t.call('POST', `/v1/contacts/${into}/merge`, { key, body: { from } })

/** Ana (the target) wrote on sms; her duplicate wrote on sms (later) and chat, and opted out of chat. */
async function anaAndDuplicate() {
  const ana = await contact({
    first_name: 'Ana',
    email: 'ana@example.com',
    attributes: { plan: 'pro', tier: 'gold' },
    identities: [{ channel: 'sms', address: '+491701111111' }],
  })
  const older = await receive('sms', '+491701111111', 'Ana on sms')
  const dup = await contact({
    first_name: 'Anna',
    last_name: 'Quarzo',
    email: 'anna.q@work.example',
    phone: '+491702222222',
    timezone: 'Europe/Lisbon',
    attributes: { plan: 'free', city: 'Porto' },
    identities: [
      { channel: 'sms', address: '+491702222222' },
      { channel: 'chat', address: 'ana-chat-7' },
    ],
  })
  const newer = await receive('sms', '+491702222222', 'Anna on sms')
  const chat = await receive('chat', 'ana-chat-7', 'Anna on chat')
  expect([older.contact_id, newer.contact_id, chat.contact_id]).toEqual([ana, dup, dup])
  const out = await t.call('PUT', `/v1/contacts/${dup}/consent`, {
    body: { channel: 'chat', status: 'opted_out', note: 'asked on the phone' },
  })
  expect(out.status).toBe(200)
  return { ana, dup, older, newer, chat }
}

describe('POST /v1/contacts/{id}/merge', () => {
  it('moves identities, threads, messages and consent; the target’s fields win; one clash closes', async () => {
    const { ana, dup, older, newer, chat } = await anaAndDuplicate()
    const r = await merge(ana, [dup])
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({
      id: ana,
      merged: [dup],
      first_name: 'Ana',
      last_name: 'Quarzo',
      email: 'ana@example.com',
      phone: '+491702222222',
      timezone: 'Europe/Lisbon',
      attributes: { plan: 'pro', tier: 'gold', city: 'Porto' },
    })
    const identities = r.body.identities.map((i: { channel: string; address: string }) => i.address)
    expect(identities.sort()).toEqual(['+491701111111', '+491702222222', 'ana-chat-7'])
    expect((await t.call('GET', `/v1/contacts/${ana}`)).body).toEqual(
      (({ merged: _m, ...rest }) => rest)(r.body),
    )

    // The older sms thread closed with a `merged` event; the newer one and chat stay open.
    const th = async (id: string) => (await t.call('GET', `/v1/threads/${id}`)).body
    expect(await th(older.thread_id)).toMatchObject({ status: 'closed', contact_id: ana })
    expect(await th(newer.thread_id)).toMatchObject({ status: 'open', contact_id: ana })
    expect(await th(chat.thread_id)).toMatchObject({ status: 'open', contact_id: ana })
    const closed = (await th(older.thread_id)).events.at(-1)
    expect(closed).toMatchObject({ type: 'merged', data: { kept_thread_id: newer.thread_id } })

    // The timeline holds every message of both, and the merge itself.
    const items = (await t.call('GET', `/v1/contacts/${ana}/timeline?limit=100`)).body.items
    const texts = items.flatMap((i: any) => (i.kind === 'message' ? [i.message.text] : []))
    expect(texts).toEqual(expect.arrayContaining(['Ana on sms', 'Anna on sms', 'Anna on chat']))
    expect(items.filter((i: any) => i.event?.type === 'contact_merged')).toMatchObject([
      { event: { contact_id: ana, data: { from: [dup] } } },
    ])

    // Consent moved: chat stays opted out for the survivor, with its history.
    const consent = (await t.call('GET', `/v1/contacts/${ana}/consent`)).body
    expect(consent.channels).toMatchObject([{ channel: 'chat', status: 'opted_out' }])
    expect(consent.history).toHaveLength(1)
    const refused = await t.call('POST', '/v1/messages', {
      key: KEYS.alice,
      body: { contact_id: ana, channel: 'chat', text: 'hi' },
    })
    expect([refused.status, refused.body.error.code]).toEqual([422, 'opted_out'])

    // App webhooks: contact.merged, and thread.closed for the closed thread.
    await expect
      .poll(() => events.received.map((e) => (e.json as { type: string }).type).sort(), {
        timeout: 5000,
      })
      .toEqual(['contact.merged', 'thread.closed'])
    const byType = (type: string) =>
      events.received.map((e) => e.json as any).find((e) => e.type === type)
    expect(byType('contact.merged').data).toEqual({ contact_id: ana, from: [dup] })
    expect(byType('thread.closed').data).toMatchObject({
      thread_id: older.thread_id,
      contact_id: ana,
    })
  })

  it('a merged id answers 301 to the survivor on every read, and writes and sends act on the survivor', async () => {
    const { ana, dup } = await anaAndDuplicate()
    expect((await merge(ana, [dup])).status).toBe(200)
    for (const path of ['', '/timeline', '/consent', '/eligibility', '/export']) {
      const r = await t.call('GET', `/v1/contacts/${dup}${path}`)
      expect([path, r.status, r.headers.get('location'), r.body]).toEqual([
        path,
        301,
        `/v1/contacts/${ana}`,
        { merged_into: ana },
      ])
    }
    // Hidden from lists; search finds the survivor by the merged contact's fields.
    const all = (await t.call('GET', '/v1/contacts')).body.items.map((c: { id: string }) => c.id)
    expect(all).toContain(ana)
    expect(all).not.toContain(dup)
    for (const q of ['anna.q@work', 'Quarzo', 'Anna', '+491702222222']) {
      const s = await t.call('GET', `/v1/contacts?q=${encodeURIComponent(q)}`)
      expect([q, s.body.items.map((c: { id: string }) => c.id)]).toEqual([q, [ana]])
    }

    // A send addressed to the merged id lands on the survivor and goes out.
    const sent = await t.call('POST', '/v1/messages', {
      key: KEYS.alice,
      body: { contact_id: dup, channel: 'sms', text: 'to the old id' },
    })
    expect(sent.status).toBe(202)
    expect(sent.body.contact_id).toBe(ana)
    await expect
      .poll(async () => (await t.call('GET', `/v1/messages/${sent.body.id}`)).body.status, {
        timeout: 5000,
      })
      .toBe('sent')
    // A write to the merged id changes the survivor.
    const patched = await t.call('PATCH', `/v1/contacts/${dup}`, { body: { last_name: 'Silva' } })
    expect([patched.status, patched.body.id, patched.body.last_name]).toEqual([200, ana, 'Silva'])
    const put = await t.call('PUT', `/v1/contacts/${dup}/consent`, {
      body: { channel: 'sms', status: 'opted_out' },
    })
    expect([put.status, put.body.contact_id]).toEqual([200, ana])
  })

  it('refuses self-merge, a cycle, an empty or oversized list (422) and unknown ids (404)', async () => {
    const a = await contact({ first_name: 'A' })
    const b = await contact({ first_name: 'B' })
    const c = await contact({ first_name: 'C' })
    const code = (r: { status: number; body: any }) => [r.status, r.body.error?.code]
    const self = await merge(a, [a])
    expect(code(self)).toEqual([422, 'merge_invalid'])
    expect(self.body.error.details).toMatchObject({ contact: a, reason: 'self' })
    expect(code(await merge(a, []))).toEqual([422, 'merge_invalid'])
    const many = Array.from({ length: 51 }, (_, n) => `ct_${String(n).padStart(26, '0')}`)
    expect(code(await merge(a, many))).toEqual([422, 'merge_invalid'])
    const unknown = await merge(a, [b, 'ct_01jb2m6x3v8k4q9r7s5t1w0y2z'])
    expect(code(unknown)).toEqual([404, 'not_found'])
    expect(unknown.body.error.details).toEqual({ contact: 'ct_01jb2m6x3v8k4q9r7s5t1w0y2z' })
    expect(code(await merge('ct_01jb2m6x3v8k4q9r7s5t1w0y2z', [a]))).toEqual([404, 'not_found'])
    expect(code(await merge(a, 'nope'))).toEqual([400, 'invalid_field'])
    // Nothing of the refused merges happened.
    expect((await t.call('GET', `/v1/contacts/${b}`)).status).toBe(200)

    expect((await merge(b, [a])).status).toBe(200)
    // A into B already: merging B's chain back into A is a cycle.
    const cycle = await merge(b, [a])
    expect(code(cycle)).toEqual([422, 'merge_invalid'])
    expect(cycle.body.error.details).toMatchObject({ contact: a, reason: 'already_merged' })
    expect(code(await merge(a, [b]))).toEqual([422, 'merge_invalid'])
    // A into B into C: A resolves to C.
    expect((await merge(c, [b], KEYS.shop)).status).toBe(200)
    const moved = await t.call('GET', `/v1/contacts/${a}`)
    expect([moved.status, moved.body]).toEqual([301, { merged_into: c }])
    // Keys: any role that may update a contact may merge (as PATCH); none without a key.
    expect((await merge(c, [await contact({ first_name: 'D' })], null)).status).toBe(401)
    // An erased survivor takes its merged contacts along: their ids answer as erased.
    expect((await t.call('DELETE', `/v1/contacts/${c}`)).status).toBe(200)
    for (const id of [a, b, c]) expect((await t.call('GET', `/v1/contacts/${id}`)).status).toBe(404)
    const d = await contact({ first_name: 'E' })
    expect(code(await merge(d, [a]))).toEqual([404, 'not_found'])
  })

  it('loses no send accepted for a merged contact while the merge runs', async () => {
    const { ana, dup } = await anaAndDuplicate()
    // Sends started one after another, the merge among them: some commit before it (and move),
    // some are decided on the duplicate's facts and commit after it (decided again), some start
    // after it (resolved to the survivor at once).
    const sends: ReturnType<typeof t.call>[] = []
    let merged: ReturnType<typeof t.call> | undefined
    for (let n = 0; n < 20; n++) {
      if (n === 8) merged = merge(ana, [dup])
      sends.push(
        t.call('POST', '/v1/messages', {
          key: KEYS.alice,
          body: { contact_id: dup, channel: 'sms', text: `race ${n}` },
        }),
      )
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    const answers = await Promise.all(sends)
    expect((await merged)?.status).toBe(200)
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202))
    for (const a of answers) {
      const m = await t.call('GET', `/v1/messages/${a.body.id}`)
      expect(m.body.contact_id).toBe(ana)
    }
    const items = (await t.call('GET', `/v1/contacts/${ana}/timeline?limit=200`)).body.items
    const races = items.filter((i: any) => i.message?.text?.startsWith('race '))
    expect(races).toHaveLength(20)
    await expect
      .poll(
        () =>
          relay.received.filter((r) => (r.json as { text: string }).text.startsWith('race '))
            .length,
        { timeout: 10_000 },
      )
      .toBe(20)
  })

  it('the export holds consent, merged ids, dead letters and everything moved', async () => {
    const { ana, dup, chat } = await anaAndDuplicate()
    // An app event about the duplicate for a webhook no longer configured: a dead letter at once.
    const event = {
      id: 'ev_01jb2m7c4d5e6f7g8h9j0k1m2p',
      type: 'thread.closed',
      created_at: new Date().toISOString(),
      data: { contact_id: dup, thread_id: chat.thread_id },
      targets: ['http://127.0.0.1:9/removed'],
    }
    await t.gw.svc.store.threads.close(chat.thread_id, false, 'ops', event.created_at, [event])
    const dead = async () => (await t.call('GET', '/v1/webhooks/deliveries')).body.items.length
    await expect.poll(dead, { timeout: 5000 }).toBe(1)
    expect((await merge(ana, [dup])).status).toBe(200)
    const r = await t.call('GET', `/v1/contacts/${ana}/export`)
    expect(r.status).toBe(200)
    expect(r.body.merged).toEqual([dup])
    expect(r.body.consent).toEqual((await t.call('GET', `/v1/contacts/${ana}/consent`)).body)
    expect(r.body.consent.channels).toMatchObject([{ channel: 'chat', status: 'opted_out' }])
    expect(r.body.threads).toHaveLength(3)
    expect(r.body.messages.map((m: { text: string }) => m.text)).toEqual(
      expect.arrayContaining(['Ana on sms', 'Anna on sms', 'Anna on chat']),
    )
    expect(r.body.dead_letters).toMatchObject([
      { event_id: event.id, status: 'failed', event: { data: { contact_id: dup } } },
    ])
    expect((await t.call('GET', `/v1/contacts/${ana}/export`, { key: KEYS.alice })).status).toBe(
      403,
    )
  })
})
