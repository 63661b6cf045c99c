import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTempStore, type TempStore } from '../test-fixtures.js'

let t: TempStore
beforeEach(() => {
  t = openTempStore()
})
afterEach(() => t.dispose())

describe('inbound.receive', () => {
  it('creates contact, identity, thread and a delivered message from an unknown address', () => {
    const plan = t.fx.inPlan('42', { newContact: { id: 'ct_new', first_name: 'Kai' } })
    const out = t.store.inbound.receive(plan)
    expect(out).toEqual({
      messageId: plan.newMessageId,
      contactId: 'ct_new',
      threadId: plan.newThreadId,
      created: true,
    })
    expect(t.store.identities.find('tg', '42')).toMatchObject({
      contact_id: 'ct_new',
      first_inbound_at: plan.sentAt,
      last_inbound_at: plan.sentAt,
      reachable: true,
    })
    expect(t.store.messages.get(out.messageId)).toMatchObject({
      direction: 'in',
      status: 'delivered',
      author: { kind: 'contact', id: 'ct_new' },
      platform_message_id: plan.platformMessageId,
    })
    expect(t.store.threads.events(out.threadId).map((e) => [e.type, e.actor])).toEqual([
      ['opened', 'contact'],
    ])
  })

  it('dedupes by (channel, platform message id): the same ids again, nothing new written', () => {
    const plan = t.fx.inPlan('42')
    const first = t.store.inbound.receive(plan)
    const again = t.store.inbound.receive({
      ...plan,
      newMessageId: 'msg_other',
      newThreadId: 'th_other',
    })
    expect(again).toEqual({ ...first, created: false })
    expect(t.store.messages.get('msg_other')).toBeNull()
    expect(t.store.messages.listByThread(first.threadId, 10).items).toHaveLength(1)
    // The same platform id on another channel is another message.
    const line = t.fx.inPlan('42', { channel: 'line', platformMessageId: plan.platformMessageId })
    expect(t.store.inbound.receive(line).created).toBe(true)
  })

  it("reuses the contact's open thread on the channel; the identity is reachable again", () => {
    const c = t.fx.contact({ first_name: 'Ana' }).identity('tg', '42').thread('tg')
    t.store.identities.setReachable('tg', '42', false, t.fx.now())
    const out = t.store.inbound.receive(t.fx.inPlan('42'))
    expect(out).toMatchObject({ contactId: c.id, threadId: c.threadIds[0], created: true })
    expect(t.store.identities.find('tg', '42')?.reachable).toBe(true)
  })

  it('opens a thread on this channel even when the contact has an open thread elsewhere', () => {
    const c = t.fx.contact({ first_name: 'Ana' }).identity('tg', '42').thread('mail')
    const out = t.store.inbound.receive(t.fx.inPlan('42'))
    expect(out.threadId).not.toBe(c.threadIds[0])
    expect(t.store.threads.listActiveByContact(c.id)).toHaveLength(2)
  })

  it('lands a reply in the thread of the message it answers, reopened (In-Reply-To)', () => {
    const contactId = t.fx.contact({ first_name: 'Ana' }).identity('mail', 'ana@example.com').id
    const email = (id: string, inReplyTo: string | null = null) => ({
      from: 'ana@example.com',
      subject: 'Refund',
      bcc: [],
      message_id: id,
      in_reply_to: inReplyTo,
    })
    const first = t.store.inbound.receive(
      t.fx.inPlan('ana@example.com', {
        channel: 'mail',
        platformMessageId: '<a@x>',
        email: email('<a@x>'),
      }),
    )
    t.store.threads.close(first.threadId, true, 'alice', t.fx.now(), [])
    const other = t.store.inbound.receive(
      t.fx.inPlan('ana@example.com', {
        channel: 'mail',
        platformMessageId: '<b@x>',
        email: email('<b@x>'),
      }),
    )
    expect(other.threadId).not.toBe(first.threadId) // first is closed: a new conversation
    const reply = t.store.inbound.receive(
      t.fx.inPlan('ana@example.com', {
        channel: 'mail',
        platformMessageId: '<c@x>',
        replyTo: ['<unknown@x>', '<a@x>'],
        email: email('<c@x>', '<a@x>'),
      }),
    )
    expect(reply).toMatchObject({ contactId, threadId: first.threadId })
    expect(t.store.threads.get(first.threadId)?.status).toBe('open')
    expect(
      t.store.threads
        .events(first.threadId)
        .map((e) => [e.type, e.actor])
        .at(-1),
    ).toEqual(['reopened', 'contact'])
    expect(t.store.messages.emailIds(first.threadId)).toEqual(['<a@x>', '<c@x>'])
  })

  it('queues the events the gateway builds from the final ids, in the same transaction', () => {
    const plan = t.fx.inPlan('42', {
      events: (ids) => [
        {
          id: `ev_${ids.messageId}`,
          type: 'message.inbound',
          created_at: plan.now,
          data: { ...ids },
          targets: ['https://a.example'],
        },
      ],
    })
    const out = t.store.inbound.receive(plan)
    const [d] = t.store.webhooks.lease(Date.parse(plan.now), 10, 1000)
    expect(JSON.parse(d?.payload ?? '{}')).toMatchObject({
      id: `ev_${out.messageId}`,
      data: { threadCreated: true },
    })
  })

  it('a failing event builder rolls the whole message back', () => {
    const plan = t.fx.inPlan('42', {
      events: () => {
        throw new Error('boom')
      },
    })
    expect(() => t.store.inbound.receive(plan)).toThrow('boom')
    expect(t.store.identities.find('tg', '42')).toBeNull()
    expect(t.store.messages.get(plan.newMessageId)).toBeNull()
  })

  it('never moves last_inbound_at back, and never past now', () => {
    t.fx.contact({ first_name: 'Ana' }).identity('tg', '42').wrote('tg', '42')
    const last = t.store.identities.find('tg', '42')?.last_inbound_at ?? ''
    t.store.inbound.receive(t.fx.inPlan('42', { sentAt: '2024-01-01T00:00:00.000Z' }))
    expect(t.store.identities.find('tg', '42')?.last_inbound_at).toBe(last)
    const future = t.fx.inPlan('42', { sentAt: '2099-01-01T00:00:00.000Z' })
    t.store.inbound.receive(future)
    expect(t.store.identities.find('tg', '42')?.last_inbound_at).toBe(future.now)
  })
})
