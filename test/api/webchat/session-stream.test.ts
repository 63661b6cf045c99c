/**
 * Web chat (DESIGN §12), the server side: visitor sessions (user_hash, origin, tokens), the SSE
 * stream (sent → delivered, resume with Last-Event-ID), history, the visitor's messages
 * (client_id dedupe, limits), seen → read, and the visitor's request budget.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { signToken } from '../../../src/connectors/webchat/token.js'
import { userHash } from '../../../src/connectors/webpush/user-hash.js'
import type { LiveEvent } from '../../../src/gateway/live/bus.js'
import { startGateway, type TestGateway } from '../../helpers/harness.js'
import { agentSends, ORIGIN, SECRET, statusOf, visitor, webchatYaml } from './rig.js'

let t: TestGateway | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

const sessionCall = (g: TestGateway, body: unknown, origin: string | null = ORIGIN) =>
  g.call('POST', '/v1/channels/site/webchat/session', {
    key: null,
    headers: origin ? { origin } : {},
    body,
  })

describe('webchat session', () => {
  it('creates the contact and identity on first connect, fills empty fields, publishes webchat.opened', async () => {
    t = await startGateway(webchatYaml())
    const opened: LiveEvent[] = []
    t.gw.svc.live.subscribe((es) => opened.push(...es.filter((e) => e.type === 'webchat.opened')))
    const first = await sessionCall(t, {
      external_id: 'user-1',
      user_hash: userHash(SECRET, 'user-1'),
      first_name: 'Ana',
      email: 'Ana@Example.com',
    })
    expect(first.status).toBe(200)
    expect(first.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(first.body).toMatchObject({
      contact_id: expect.stringMatching(/^ct_/),
      token: expect.any(String),
    })
    expect(first.body.thread_id).toBeUndefined()
    const contact = (await t.call('GET', `/v1/contacts/${first.body.contact_id}`)).body
    expect(contact).toMatchObject({
      first_name: 'Ana',
      email: 'ana@example.com',
      external_id: 'user-1',
    })
    // An agent may now message the visitor: the connect satisfied contact-first.
    const elig = await t.call('GET', `/v1/contacts/${first.body.contact_id}/eligibility`)
    expect(elig.body.channels.find((c: { channel: string }) => c.channel === 'site')).toMatchObject(
      {
        can_send: true,
      },
    )
    // A second connect: same contact; a given name does not overwrite the stored one.
    const again = await sessionCall(t, {
      external_id: 'user-1',
      user_hash: userHash(SECRET, 'user-1'),
      first_name: 'Someone',
      last_name: 'Lopez',
    })
    expect(again.body.contact_id).toBe(first.body.contact_id)
    const after = (await t.call('GET', `/v1/contacts/${first.body.contact_id}`)).body
    expect(after).toMatchObject({ first_name: 'Ana', last_name: 'Lopez' })
    expect(opened.map((e) => e.data)).toEqual([
      { contact_id: first.body.contact_id, channel: 'site', thread_id: null, first_visit: true },
      { contact_id: first.body.contact_id, channel: 'site', thread_id: null, first_visit: false },
    ])
  })

  it('refuses a wrong or missing user_hash (401 user_hash_invalid) and a foreign origin (403)', async () => {
    t = await startGateway(webchatYaml())
    const wrong = await sessionCall(t, { external_id: 'u', user_hash: userHash('other', 'u') })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error.code).toBe('user_hash_invalid')
    const missing = await sessionCall(t, { external_id: 'u' })
    expect(missing.status).toBe(401)
    expect(missing.body.error.code).toBe('user_hash_invalid')
    const foreign = await sessionCall(
      t,
      { external_id: 'u', user_hash: userHash(SECRET, 'u') },
      'https://evil.example',
    )
    expect(foreign.status).toBe(403)
    expect(foreign.body.error.code).toBe('origin_not_allowed')
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
    // No Origin: not a browser page (a native app); the hash alone authenticates it.
    const app = await sessionCall(t, { external_id: 'u', user_hash: userHash(SECRET, 'u') }, null)
    expect(app.status).toBe(200)
  })

  it('answers the CORS preflight for an allowed origin only', async () => {
    t = await startGateway(webchatYaml())
    const pre = await t.gw.app.request('/v1/channels/site/webchat/messages', {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/)
    const bad = await t.gw.app.request('/v1/channels/site/webchat/messages', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    })
    expect(bad.status).toBe(403)
  })

  it('refuses a forged, foreign-channel or expired token (401) and names which', async () => {
    t = await startGateway(webchatYaml())
    const v = await visitor(t, 'user-2')
    const call = (token: string) =>
      t!.call('GET', `/v1/channels/site/webchat/messages?token=${encodeURIComponent(token)}`, {
        key: null,
        headers: { origin: ORIGIN },
      })
    expect((await call(v.token)).status).toBe(200)
    const forged = `${v.token.split('.')[0]}.${Buffer.alloc(32).toString('base64url')}`
    expect((await call(forged)).body.error.code).toBe('webchat_token_invalid')
    const otherSecret = signToken('not-the-secret', {
      channel: 'site',
      contactId: v.contactId,
      externalId: 'user-2',
      expiresAt: Date.now() + 60_000,
    })
    expect((await call(otherSecret)).status).toBe(401)
    const expired = signToken(SECRET, {
      channel: 'site',
      contactId: v.contactId,
      externalId: 'user-2',
      expiresAt: Date.now() - 1,
    })
    const res = await call(expired)
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('webchat_token_expired')
    // The error still carries CORS headers: the widget must read it to open a new session.
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    const none = await t.call('POST', '/v1/channels/site/webchat/messages', {
      key: null,
      body: { text: 'hi', client_id: 'c1' },
    })
    expect(none.status).toBe(401)
    expect(none.body.error.code).toBe('webchat_token_invalid')
  })
})

describe('webchat stream', () => {
  it('an agent message reaches the open stream and becomes delivered; seen makes it read', async () => {
    t = await startGateway(webchatYaml(), { dispatcher: true })
    const v = await visitor(t, 'user-3')
    const s = await v.stream()
    try {
      const id = await agentSends(t, v.contactId, 'Hello <b>there</b>')
      await expect.poll(() => s.events.find((e) => e.event === 'message')?.data.id).toBe(id)
      const ev = s.events.find((e) => e.event === 'message')!
      expect(ev.id).toBe(id)
      expect(ev.data).toMatchObject({
        direction: 'out',
        author: 'agent',
        author_name: 'Alice Doe',
        text: 'Hello <b>there</b>',
      })
      await expect.poll(() => statusOf(t!, id)).toBe('delivered')
      await expect
        .poll(() => s.events.some((e) => e.event === 'status' && e.data.status === 'delivered'))
        .toBe(true)
      const seen = await v.post('/seen', { up_to: id })
      expect(seen.body).toEqual({ read: 1 })
      expect(await statusOf(t, id)).toBe('read')
      await expect
        .poll(() => s.events.some((e) => e.event === 'status' && e.data.status === 'read'))
        .toBe(true)
      expect(s.events.every((e) => e.id !== null && e.id !== '')).toBe(true)
    } finally {
      await s.stop()
    }
  })

  it('Last-Event-ID resumes without loss: what was sent while away is replayed, then delivered', async () => {
    t = await startGateway(webchatYaml(), { dispatcher: true })
    const v = await visitor(t, 'user-4')
    const s1 = await v.stream()
    const first = await agentSends(t, v.contactId, 'one')
    await expect.poll(() => s1.events.some((e) => e.data.id === first)).toBe(true)
    const cursor = s1.events.at(-1)!.id!
    await s1.stop()
    const missed = [
      await agentSends(t, v.contactId, 'two'),
      await agentSends(t, v.contactId, 'three'),
    ]
    await expect
      .poll(() => Promise.all(missed.map((m) => statusOf(t!, m))))
      .toEqual(['sent', 'sent'])
    // The visitor wrote from another tab meanwhile.
    const mine = await v.post('/messages', { text: 'from my phone', client_id: 'tab2-1' })
    const s2 = await v.stream({ lastEventId: cursor })
    try {
      const ids = () => s2.events.filter((e) => e.event === 'message').map((e) => e.data.id)
      await expect.poll(ids).toEqual([...missed, mine.body.message_id].sort())
      await expect
        .poll(() => Promise.all(missed.map((m) => statusOf(t!, m))))
        .toEqual(['delivered', 'delivered'])
      expect(ids()).not.toContain(first)
    } finally {
      await s2.stop()
    }
  })

  it('drops a stream whose reader stalls instead of buffering without bound', async () => {
    t = await startGateway(
      webchatYaml('    rules: { rate: { per_recipient_per_second: 1000 } }\n'),
      {
        dispatcher: true,
      },
    )
    const v = await visitor(t, 'user-5')
    const res = await t.gw.app.request(`/v1/channels/site/webchat/stream?token=${v.token}`)
    const reader = res.body!.getReader()
    // Nobody reads: 30 messages of 10 000 characters are over the 256 KiB bound.
    const ids: string[] = []
    for (let i = 0; i < 30; i++)
      ids.push(await agentSends(t, v.contactId, `${i} ${'x'.repeat(9_990)}`))
    await expect.poll(() => statusOf(t!, ids.at(-1)!), { timeout: 10_000 }).not.toBe('queued')
    const statuses = await Promise.all(ids.map((id) => statusOf(t!, id)))
    // What fit was handed over (delivered); the rest waits, `sent`, for the next connect.
    expect(statuses).toContain('sent')
    const outcome = await (async () => {
      try {
        for (;;) if ((await reader.read()).done) return 'ended'
      } catch (e) {
        return (e as Error).message
      }
    })()
    expect(outcome).toMatch(/too slow/)
  })
})
