/**
 * Automations through the daemon (DESIGN §14), with the test's clock: an away message outside
 * business hours with `{{next_open}}` and `once_per`; a greeting on a web chat visit that a
 * repeated event — even across a restart on the same data — never sends twice; a follow-up
 * nudge on a silent thread that the automation's own send does not re-arm; no loop on the
 * automation's own messages; a refused send recorded as `automation.skipped` (app webhook, metric).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { liveEvent } from '../../src/gateway/live/index.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const HOUR = 3600_000

let relay: WebhookReceiver
let events: WebhookReceiver
let t: TestGateway
let clock: Date

const config = () => `server:
  public_url: http://127.0.0.1:8080
channels:
  sms: { type: webhook, url: ${relay.url}, secret: relay-secret, address: phone }
  chat: { type: webhook, url: ${relay.url}, secret: chat-secret, address: any }
templates:
  greeting: { text: "Welcome {{first_name|there}}!" }
business_hours: { timezone: Europe/Berlin, mon-fri: "09:00-17:30" }
webhooks:
  - { url: ${events.url}, secret: hook-secret, events: [automation.skipped] }
automations:
  - name: away
    on: message.inbound
    if: { channel: [sms], outside_business_hours: true }
    send: { text: "Thanks {{first_name|}}! We're back {{next_open}}." }
    once_per: 12h
  - name: greet
    on: webchat.opened
    if: { first_visit: true }
    send: { template: greeting }
  - name: nudge
    on: thread.silent
    after: 24h
    if: { tag: [billing] }
    send: { text: "Still need help?" }
    tag: [nudged]
  - name: bye
    on: thread.closed
    if: { channel: [chat] }
    send: { text: "Bye {{first_name}}" }
`

/** A gateway whose scheduler leads (on PostgreSQL the lock is taken a moment after start). */
async function start(dir?: string): Promise<TestGateway> {
  const g = await startGateway(config(), {
    dispatcher: true,
    now: () => clock,
    ...(dir ? { dir } : {}),
  })
  for (let i = 0; i < 200 && g.gw.automations() === null; i++) {
    await new Promise((r) => setTimeout(r, 50))
  }
  return g
}

beforeEach(async () => {
  // Saturday 2025-01-18 11:00 in Berlin: closed until Monday 09:00. In the past: app events
  // are due at their creation time on the wall clock.
  clock = new Date('2025-01-18T10:00:00.000Z')
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
  events = await startWebhookReceiver({ secret: 'hook-secret' })
  t = await start()
})
afterEach(async () => {
  await t.close()
  await relay.close()
  await events.close()
})

const runner = () => {
  const r = t.gw.automations()
  if (!r) throw new Error('no automations runner (not the leader?)')
  return r
}

let seq = 0
/** A message from `address` on a webhook channel, as its relay would post it. */
async function inbound(channel: string, address: string, text: string, first_name?: string) {
  const raw = JSON.stringify({ id: `in-${++seq}`, from: { address, first_name }, text })
  const secret = channel === 'sms' ? 'relay-secret' : 'chat-secret'
  const r = await t.call('POST', `/v1/channels/${channel}/inbound`, {
    key: null,
    raw,
    headers: { 'content-type': 'application/json', 'x-omnigate-signature': sign(secret, raw) },
  })
  expect(r.status).toBe(200)
  await runner().idle()
  return r.body as { message_id: string; contact_id: string; thread_id: string }
}

interface Msg {
  direction: string
  text: string | null
  author: { kind: string; id: string | null }
}

async function messages(threadId: string): Promise<Msg[]> {
  const r = await t.call('GET', `/v1/threads/${threadId}/messages?limit=100`)
  expect(r.status).toBe(200)
  return r.body.items as Msg[]
}

const byAutomation = async (threadId: string, name: string) =>
  (await messages(threadId)).filter((m) => m.author.kind === 'automation' && m.author.id === name)

describe('automations', () => {
  it('away: outside business hours, {{next_open}}, once per 12 h per contact, never on its own send', async () => {
    const a = await inbound('sms', '+491701234567', 'hello?', 'Zoe')
    const first = await byAutomation(a.thread_id, 'away')
    expect(first).toEqual([
      expect.objectContaining({
        direction: 'out',
        text: "Thanks Zoe! We're back Monday 09:00.",
        author: { kind: 'automation', id: 'away' },
      }),
    ])
    // Within 12 h: no second away message; its own send did not trigger anything either.
    clock = new Date(clock.getTime() + 2 * HOUR)
    await inbound('sms', '+491701234567', 'anyone?')
    expect(await byAutomation(a.thread_id, 'away')).toHaveLength(1)
    expect((await messages(a.thread_id)).filter((m) => m.direction === 'out')).toHaveLength(1)
    // 13 h after the first: again.
    clock = new Date(Date.parse('2025-01-18T10:00:00.000Z') + 13 * HOUR)
    await inbound('sms', '+491701234567', 'still closed?')
    const again = await byAutomation(a.thread_id, 'away')
    expect(again).toHaveLength(2)
    expect(again[0]?.text).toBe("Thanks Zoe! We're back Monday 09:00.")
    // Inside business hours (Monday 10:00): nothing.
    clock = new Date('2025-01-20T09:00:00.000Z')
    const b = await inbound('sms', '+491709999999', 'hi', 'Max')
    expect(await byAutomation(b.thread_id, 'away')).toEqual([])
    const metrics = await t.call('GET', '/metrics')
    expect(metrics.text).toMatch(/omnigate_automation_fired_total\{automation="away"\} 2/)
  })

  it('greet: once per visit event, even seen twice and after a restart on the same data', async () => {
    const c = await inbound('chat', 'visitor-1', 'hi', 'Ana')
    const opened = liveEvent(
      'webchat.opened',
      { contact_id: c.contact_id, channel: 'chat', first_visit: true },
      clock.toISOString(),
    )
    t.gw.svc.live.publish([opened])
    t.gw.svc.live.publish([opened])
    await runner().idle()
    expect((await byAutomation(c.thread_id, 'greet')).map((m) => m.text)).toEqual(['Welcome Ana!'])
    // Not a first visit: no greeting.
    t.gw.svc.live.publish([
      liveEvent(
        'webchat.opened',
        { contact_id: c.contact_id, channel: 'chat', thread_id: c.thread_id, first_visit: false },
        clock.toISOString(),
      ),
    ])
    await runner().idle()
    expect(await byAutomation(c.thread_id, 'greet')).toHaveLength(1)
    // A restart, and the same event delivered again: still one greeting.
    await t.stop()
    t = await start(t.dir)
    t.gw.svc.live.publish([opened])
    await runner().idle()
    expect(await byAutomation(c.thread_id, 'greet')).toHaveLength(1)
    // The restarted runner does listen: a new visit event (first_visit as the widget says) greets.
    t.gw.svc.live.publish([{ ...opened, id: 'ev_second_visit' }])
    await runner().idle()
    expect(await byAutomation(c.thread_id, 'greet')).toHaveLength(2)
  })

  it('nudge: after 24 h of silence either way, once per silence, its own send not counted', async () => {
    const c = await inbound('chat', 'visitor-2', 'my invoice is wrong', 'Ben')
    const tagged = await t.call('PUT', `/v1/threads/${c.thread_id}/tags`, {
      body: { tags: ['billing'] },
    })
    expect(tagged.status).toBe(200)
    const agent = await t.call('POST', '/v1/messages', {
      body: { thread_id: c.thread_id, text: 'Looking into it' },
    })
    expect(agent.status).toBe(202)
    clock = new Date(clock.getTime() + 23 * HOUR)
    await runner().pollSilent()
    expect(await byAutomation(c.thread_id, 'nudge')).toEqual([])
    clock = new Date(clock.getTime() + 2 * HOUR)
    await runner().pollSilent()
    expect((await byAutomation(c.thread_id, 'nudge')).map((m) => m.text)).toEqual([
      'Still need help?',
    ])
    const thread = await t.call('GET', `/v1/threads/${c.thread_id}`)
    expect(thread.body.tags).toEqual(expect.arrayContaining(['billing', 'nudged']))
    // Two days on: its own send did not restart the clock, and the silence was acted on.
    clock = new Date(clock.getTime() + 48 * HOUR)
    await runner().pollSilent()
    expect(await byAutomation(c.thread_id, 'nudge')).toHaveLength(1)
    // The person writes again: a new silence, a new nudge 24 h later.
    await inbound('chat', 'visitor-2', 'any news?')
    clock = new Date(clock.getTime() + 25 * HOUR)
    await runner().pollSilent()
    expect(await byAutomation(c.thread_id, 'nudge')).toHaveLength(2)
  })

  it('never triggers on an automation’s own message events', async () => {
    const c = await inbound('sms', '+491705555555', 'hi', 'Lea')
    expect(await byAutomation(c.thread_id, 'away')).toHaveLength(1)
    clock = new Date(clock.getTime() + 13 * HOUR)
    // An inbound-shaped event authored by an automation (as if another automation's send came
    // back in): dropped, so no away message although once_per has passed.
    t.gw.svc.live.publish([
      liveEvent(
        'message.inbound',
        {
          message_id: 'msg_loop',
          contact_id: c.contact_id,
          thread_id: c.thread_id,
          channel: 'sms',
          author: { kind: 'automation', id: 'away' },
        },
        clock.toISOString(),
      ),
    ])
    await runner().idle()
    expect(await byAutomation(c.thread_id, 'away')).toHaveLength(1)
  })

  it('a refused send is recorded as automation.skipped (app webhook, metric), not retried', async () => {
    // No first name: "Bye {{first_name}}" has no default, so the rules refuse the send.
    const c = await inbound('chat', 'visitor-3', 'thanks, solved')
    const closed = await t.call('POST', `/v1/threads/${c.thread_id}/close`, { body: {} })
    expect(closed.status).toBe(200)
    await runner().idle()
    await events.waitFor((r) => r.received.length > 0)
    const ev = events.received[0]
    expect(ev?.signatureValid).toBe(true)
    expect(ev?.json).toMatchObject({
      type: 'automation.skipped',
      data: {
        automation: 'bye',
        contact_id: c.contact_id,
        thread_id: c.thread_id,
        code: 'variable_missing',
      },
    })
    expect(await byAutomation(c.thread_id, 'bye')).toEqual([])
    const metrics = await t.call('GET', '/metrics')
    expect(metrics.text).toMatch(
      /omnigate_automation_skipped_total\{automation="bye",code="variable_missing"\} 1/,
    )
  })

  it('a reload applies new automations; no_agent_online follows agent-key calls', async () => {
    const extra = `  - name: nobody
    on: message.inbound
    if: { channel: [chat], no_agent_online: true }
    tag: [unattended]
`
    writeFileSync(t.file, readFileSync(t.file, 'utf8') + extra)
    const reloaded = await t.call('POST', '/v1/admin/reload')
    expect(reloaded.status).toBe(200)
    const a = await inbound('chat', 'visitor-4', 'hello')
    expect((await t.call('GET', `/v1/threads/${a.thread_id}`)).body.tags).toEqual(['unattended'])
    // An agent's call: someone is online for 5 minutes, so the next person is not tagged.
    expect((await t.call('GET', '/v1/threads', { key: KEYS.alice })).status).toBe(200)
    const b = await inbound('chat', 'visitor-5', 'hello')
    expect((await t.call('GET', `/v1/threads/${b.thread_id}`)).body.tags).toEqual([])
    clock = new Date(clock.getTime() + 6 * 60_000)
    const c = await inbound('chat', 'visitor-6', 'hello')
    expect((await t.call('GET', `/v1/threads/${c.thread_id}`)).body.tags).toEqual(['unattended'])
  })
})
