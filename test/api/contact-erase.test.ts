/**
 * Erase (DESIGN §15), through the daemon: `DELETE /v1/contacts/{id}` leaves nothing of the person
 * readable through the API, the timeline, search, blobs or the log, cancels what was queued for
 * them, keeps anonymous counts, and a late inbound from their address starts a fresh contact.
 */
import { existsSync } from 'node:fs'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const SECRET = 'relay-secret'
const PHONE = '+491709876543'
let t: TestGateway
let logged: string

beforeEach(async () => {
  logged = ''
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged += chunk.toString()
      done()
    },
  })
  t = await startGateway(
    `server:
  public_url: http://127.0.0.1:8080
channels:
  sms:
    type: webhook
    url: http://127.0.0.1:9/unused
    secret: ${SECRET}
    address: phone
`,
    { log: pino({ level: 'info' }, sink) },
  )
})
afterEach(async () => {
  await t.close()
})

async function inbound(id: string, text: string) {
  const raw = JSON.stringify({ id, from: { address: PHONE, first_name: 'Erin' }, text })
  const res = await t.call('POST', '/v1/channels/sms/inbound', {
    key: null,
    raw,
    headers: { 'content-type': 'application/json', 'x-omnigate-signature': sign(SECRET, raw) },
  })
  expect(res.status).toBe(200)
  return res.body as { message_id: string; contact_id: string; thread_id: string }
}

/** Erin wrote once; we answered with an attachment that is still queued (no dispatcher). */
async function erin() {
  const first = await inbound('in-erin-1', 'Erinsecret question')
  const patched = await t.call('PATCH', `/v1/contacts/${first.contact_id}`, {
    body: { last_name: 'Zabriskie', email: 'erin.zabriskie@example.com' },
  })
  expect(patched.status).toBe(200)
  const sent = await t.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: {
      contact_id: first.contact_id,
      text: 'Erinreply',
      attachments: [
        {
          filename: 'erin.txt',
          content_type: 'text/plain',
          data: Buffer.from('Erinfile').toString('base64'),
        },
      ],
    },
  })
  expect(sent.status).toBe(202)
  return { ...first, out: sent.body as { id: string; attachments: { id: string }[] } }
}

describe('DELETE /v1/contacts/{id}', () => {
  it('leaves nothing readable: contact, messages, timeline, search, attachment, blob, log', async () => {
    const e = await erin()
    const att = await t.gw.svc.store.attachments.get(e.out.attachments[0]!.id)
    expect(att).not.toBeNull()
    const sha = att!.sha256
    expect(await t.gw.svc.store.outbox.depth()).toBe(1)
    const optOut = await t.call('PUT', `/v1/contacts/${e.contact_id}/consent`, {
      body: { channel: 'sms', status: 'opted_out', note: 'Erin asked' },
    })
    expect(optOut.status).toBe(200)
    expect(await t.gw.svc.store.consent.history(e.contact_id)).toHaveLength(1)

    const r = await t.call('DELETE', `/v1/contacts/${e.contact_id}`)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ contact_id: e.contact_id })

    expect((await t.call('GET', `/v1/contacts/${e.contact_id}`)).status).toBe(404)
    expect((await t.call('GET', `/v1/contacts/${e.contact_id}/timeline`)).status).toBe(404)
    expect((await t.call('GET', `/v1/messages/${e.message_id}`)).status).toBe(404)
    expect((await t.call('GET', `/v1/messages/${e.out.id}`)).status).toBe(404)
    expect((await t.call('GET', `/v1/threads/${e.thread_id}`)).status).toBe(404)
    expect((await t.call('GET', `/v1/attachments/${e.out.attachments[0]!.id}`)).status).toBe(404)
    for (const q of ['Erin', 'Zabriskie', 'erin.zabriskie', '+49170987']) {
      const s = await t.call('GET', `/v1/contacts?q=${encodeURIComponent(q)}`)
      expect(s.body.items).toEqual([])
    }
    const all = await t.call('GET', '/v1/contacts')
    expect(all.body.items.map((c: { id: string }) => c.id)).not.toContain(e.contact_id)
    const threads = await t.call('GET', `/v1/threads?contact_id=${e.contact_id}`)
    expect(threads.body.items).toEqual([])
    // Consent state and history (with the note) go too.
    expect(await t.gw.svc.store.consent.state(e.contact_id)).toEqual([])
    expect(await t.gw.svc.store.consent.history(e.contact_id)).toEqual([])
    // The queued reply is gone with its job; the blob with no other reference too.
    expect(await t.gw.svc.store.outbox.depth()).toBe(0)
    await expect(t.gw.svc.store.blobs.read(sha)).rejects.toThrow()
    if (existsSync(t.db)) expect(existsSync(t.gw.svc.store.blobs.path(sha))).toBe(false)
    // The audit line names the admin's key, nothing about the person.
    const audit = logged.split('\n').filter((l) => l.includes('"component":"audit"'))
    expect(audit).toHaveLength(1)
    expect(JSON.parse(audit[0]!)).toMatchObject({ key_id: 'ops', contact_id: e.contact_id })
    expect(logged).not.toMatch(/Erin|Zabriskie|erin\.zabriskie|491709876543/)
  })

  it('a late inbound from an erased address starts a fresh contact with none of the old data', async () => {
    const e = await erin()
    expect((await t.call('DELETE', `/v1/contacts/${e.contact_id}`)).status).toBe(200)
    // The platform redelivers the very first message, then a new one arrives.
    const again = await inbound('in-erin-1', 'hello again')
    expect(again.contact_id).not.toBe(e.contact_id)
    expect(again.message_id).not.toBe(e.message_id)
    const c = await t.call('GET', `/v1/contacts/${again.contact_id}`)
    expect(c.body).toMatchObject({ last_name: null, email: null })
    const tl = await t.call('GET', `/v1/contacts/${again.contact_id}/timeline`)
    const texts = tl.body.items
      .filter((i: { kind: string }) => i.kind === 'message')
      .map((i: { message: { text: string } }) => i.message.text)
    expect(texts).toEqual(['hello again'])
  })

  it('answers 404 to an unknown or already erased contact and 403 to an agent key', async () => {
    const e = await erin()
    const agent = await t.call('DELETE', `/v1/contacts/${e.contact_id}`, { key: KEYS.alice })
    expect(agent.status).toBe(403)
    expect((await t.call('GET', `/v1/contacts/${e.contact_id}`)).status).toBe(200)
    expect((await t.call('DELETE', `/v1/contacts/${e.contact_id}`)).status).toBe(200)
    const twice = await t.call('DELETE', `/v1/contacts/${e.contact_id}`)
    expect(twice.status).toBe(404)
    const unknown = await t.call('DELETE', '/v1/contacts/ct_01jzzzzzzzzzzzzzzzzzzzzzzz')
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe('not_found')
  })
})

describe('GET /v1/contacts/{id}/export', () => {
  it('holds the profile, identities, threads with events, messages with history and signed links', async () => {
    const e = await erin()
    const r = await t.call('GET', `/v1/contacts/${e.contact_id}/export`)
    expect(r.status).toBe(200)
    expect(r.body.contact).toMatchObject({
      id: e.contact_id,
      first_name: 'Erin',
      last_name: 'Zabriskie',
      identities: [{ channel: 'sms', address: PHONE }],
    })
    expect(r.body.threads).toHaveLength(1)
    expect(r.body.threads[0].events.map((x: { type: string }) => x.type)).toContain('opened')
    expect(r.body.messages.map((m: { text: string }) => m.text)).toEqual([
      'Erinsecret question',
      'Erinreply',
    ])
    expect(r.body.messages[1].status_history.map((h: { status: string }) => h.status)).toEqual([
      'queued',
    ])
    expect(r.body.attachments).toHaveLength(1)
    const link = new URL(r.body.attachments[0].url as string)
    expect(r.body.attachments[0]).toMatchObject({ message_id: e.out.id, filename: 'erin.txt' })
    // The link works without a key, as the ones we send out do.
    const file = await t.call('GET', `${link.pathname}${link.search}`, { key: null })
    expect(file.status).toBe(200)
    expect(file.text).toBe('Erinfile')
    // After the erasure, nothing to export, and the old link leads nowhere.
    expect((await t.call('DELETE', `/v1/contacts/${e.contact_id}`)).status).toBe(200)
    expect((await t.call('GET', `/v1/contacts/${e.contact_id}/export`)).status).toBe(404)
    expect((await t.call('GET', `${link.pathname}${link.search}`, { key: null })).status).toBe(404)
  })

  it('answers 403 to an agent key and 404 to an unknown contact', async () => {
    const e = await erin()
    const agent = await t.call('GET', `/v1/contacts/${e.contact_id}/export`, { key: KEYS.alice })
    expect(agent.status).toBe(403)
    const unknown = await t.call('GET', '/v1/contacts/ct_01jzzzzzzzzzzzzzzzzzzzzzzz/export')
    expect(unknown.status).toBe(404)
  })
})
