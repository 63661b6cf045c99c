import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTempStore, type TempStore } from '../test-fixtures.js'
import type { NewEvent } from '../types.js'

let t: TempStore
beforeEach(async () => {
  t = await openTempStore()
})
afterEach(() => t.dispose())

describe('inbound.receive', () => {
  it('creates contact, identity, thread and a delivered message from an unknown address', async () => {
    const plan = t.fx.inPlan('42', { newContact: { id: 'ct_new', first_name: 'Kai' } })
    const out = await t.store.inbound.receive(plan)
    expect(out).toEqual({
      messageId: plan.newMessageId,
      contactId: 'ct_new',
      threadId: plan.newThreadId,
      created: true,
      threadCreated: true,
    })
    expect(await t.store.identities.find('tg', '42')).toMatchObject({
      contact_id: 'ct_new',
      first_inbound_at: plan.sentAt,
      last_inbound_at: plan.sentAt,
      reachable: true,
    })
    expect(await t.store.messages.get(out.messageId)).toMatchObject({
      direction: 'in',
      status: 'delivered',
      author: { kind: 'contact', id: 'ct_new' },
      platform_message_id: plan.platformMessageId,
    })
    expect((await t.store.threads.events(out.threadId)).map((e) => [e.type, e.actor])).toEqual([
      ['opened', 'contact'],
    ])
  })

  it('dedupes by (channel, platform message id): the same ids again, nothing new written', async () => {
    const plan = t.fx.inPlan('42')
    const first = await t.store.inbound.receive(plan)
    const again = await t.store.inbound.receive({
      ...plan,
      newMessageId: 'msg_other',
      newThreadId: 'th_other',
    })
    expect(again).toEqual({ ...first, created: false, threadCreated: false })
    expect(await t.store.messages.get('msg_other')).toBeNull()
    expect((await t.store.messages.listByThread(first.threadId, 10)).items).toHaveLength(1)
    // The same platform id on another channel is another message.
    const line = t.fx.inPlan('42', { channel: 'line', platformMessageId: plan.platformMessageId })
    expect((await t.store.inbound.receive(line)).created).toBe(true)
  })

  it("reuses the contact's open thread on the channel; the identity is reachable again", async () => {
    const c = await t.fx.contact({ first_name: 'Ana' }).identity('tg', '42').thread('tg')
    await t.store.identities.setReachable('tg', '42', false, t.fx.now())
    const out = await t.store.inbound.receive(t.fx.inPlan('42'))
    expect(out).toMatchObject({ contactId: c.id, threadId: c.threadIds[0], created: true })
    expect((await t.store.identities.find('tg', '42'))?.reachable).toBe(true)
  })

  it('opens a thread on this channel even when the contact has an open thread elsewhere', async () => {
    const c = await t.fx.contact({ first_name: 'Ana' }).identity('tg', '42').thread('mail')
    const out = await t.store.inbound.receive(t.fx.inPlan('42'))
    expect(out.threadId).not.toBe(c.threadIds[0])
    expect(await t.store.threads.listActiveByContact(c.id)).toHaveLength(2)
  })

  it('lands a reply in the thread of the message it answers, reopened (In-Reply-To)', async () => {
    const contactId = (
      await t.fx.contact({ first_name: 'Ana' }).identity('mail', 'ana@example.com')
    ).id
    const email = (id: string, inReplyTo: string | null = null) => ({
      from: 'ana@example.com',
      subject: 'Refund',
      bcc: [],
      message_id: id,
      in_reply_to: inReplyTo,
    })
    const first = await t.store.inbound.receive(
      t.fx.inPlan('ana@example.com', {
        channel: 'mail',
        platformMessageId: '<a@x>',
        email: email('<a@x>'),
      }),
    )
    await t.store.threads.close(first.threadId, true, 'alice', t.fx.now(), [])
    const other = await t.store.inbound.receive(
      t.fx.inPlan('ana@example.com', {
        channel: 'mail',
        platformMessageId: '<b@x>',
        email: email('<b@x>'),
      }),
    )
    expect(other.threadId).not.toBe(first.threadId) // first is closed: a new conversation
    const reply = await t.store.inbound.receive(
      t.fx.inPlan('ana@example.com', {
        channel: 'mail',
        platformMessageId: '<c@x>',
        replyTo: ['<unknown@x>', '<a@x>'],
        email: email('<c@x>', '<a@x>'),
      }),
    )
    expect(reply).toMatchObject({ contactId, threadId: first.threadId })
    expect((await t.store.threads.get(first.threadId))?.status).toBe('open')
    const events = await t.store.threads.events(first.threadId)
    expect(events.map((e) => [e.type, e.actor]).at(-1)).toEqual(['reopened', 'contact'])
    expect(await t.store.messages.emailIds(first.threadId)).toEqual(['<a@x>', '<c@x>'])
  })

  it('queues the events with the final ids filled in, in the same transaction', async () => {
    const event = (id: string, type: string, data: Record<string, unknown>): NewEvent => ({
      id,
      type,
      created_at: '2025-01-01T00:00:00.000Z',
      data,
      targets: ['https://a.example'],
    })
    const plan = (msg: string) =>
      t.fx.inPlan('42', {
        events: {
          threadOpened: [event(`ev_open_${msg}`, 'thread.opened', { channel: 'tg' })],
          received: [
            event(`ev_in_${msg}`, 'message.inbound', {
              message_id: msg,
              contact_id: null,
              thread_id: null,
              channel: 'tg',
            }),
          ],
        },
        newMessageId: msg,
      })
    const out = await t.store.inbound.receive(plan('msg_a'))
    await t.store.inbound.receive(plan('msg_b')) // same thread: no second thread.opened
    const deliveries = await t.store.webhooks.lease(Date.now(), 10, 1000)
    const payloads = deliveries.map((d) => JSON.parse(d.payload) as Record<string, unknown>)
    expect(payloads.map((p) => p.id).sort()).toEqual([
      'ev_in_msg_a',
      'ev_in_msg_b',
      'ev_open_msg_a',
    ])
    const ids = { contact_id: out.contactId, thread_id: out.threadId }
    const inbound = payloads.find((p) => p.id === 'ev_in_msg_a')
    expect(inbound?.data).toEqual({ message_id: 'msg_a', ...ids, channel: 'tg' })
    // Keys the gateway placed keep their place in the signed body.
    expect(Object.keys(inbound?.data as object)).toEqual([
      'message_id',
      'contact_id',
      'thread_id',
      'channel',
    ])
    expect(payloads.find((p) => p.id === 'ev_open_msg_a')?.data).toEqual({ channel: 'tg', ...ids })
  })

  it('an event that cannot be queued rolls the whole message back', async () => {
    const plan = t.fx.inPlan('42', {
      events: {
        threadOpened: [],
        // A malformed target list makes the last step of the transaction throw.
        received: [
          {
            id: 'ev_x',
            type: 'message.inbound',
            created_at: '2025-01-01T00:00:00.000Z',
            data: {},
            targets: 42 as unknown as string[],
          },
        ],
      },
    })
    await expect(t.store.inbound.receive(plan)).rejects.toThrow()
    expect(await t.store.identities.find('tg', '42')).toBeNull()
    expect(await t.store.messages.get(plan.newMessageId)).toBeNull()
  })

  it('never moves last_inbound_at back, and never past now', async () => {
    await t.fx.contact({ first_name: 'Ana' }).identity('tg', '42').wrote('tg', '42')
    const last = (await t.store.identities.find('tg', '42'))?.last_inbound_at ?? ''
    await t.store.inbound.receive(t.fx.inPlan('42', { sentAt: '2024-01-01T00:00:00.000Z' }))
    expect((await t.store.identities.find('tg', '42'))?.last_inbound_at).toBe(last)
    const future = t.fx.inPlan('42', { sentAt: '2099-01-01T00:00:00.000Z' })
    await t.store.inbound.receive(future)
    expect((await t.store.identities.find('tg', '42'))?.last_inbound_at).toBe(future.now)
  })
})
