import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTempStore, type TempStore } from '../test-fixtures.js'
import type { MessageStatus } from '../types.js'
import { canAdvance } from '../core/message-status.js'

let t: TempStore
beforeEach(async () => {
  t = await openTempStore()
})
afterEach(() => t.dispose())

async function queued(): Promise<{ messageId: string; threadId: string; contactId: string }> {
  const contactId = (await t.fx.contact({ first_name: 'Ana' })).id
  const o = await t.store.accept(t.fx.outPlan(contactId))
  if (!o.ok) throw new Error('accept failed')
  return o
}

describe('messages.advance', () => {
  it('moves forward only and records the time of every status reached, in order', async () => {
    const { messageId: id } = await queued()
    const step = (s: MessageStatus, extra = {}) =>
      t.store.messages.advance(id, s, t.fx.now(), extra, [])
    expect(await step('sending')).toBe(true)
    expect(await step('sent', { platformMessageId: 'pm-1' })).toBe(true)
    expect(await step('sending')).toBe(false) // backwards
    expect(await step('sent')).toBe(false) // repeat
    expect(await step('read')).toBe(true) // delivered skipped
    expect(await step('delivered')).toBe(false) // delivered after read
    // A read message cannot fail.
    expect(await step('failed', { error: { code: 'x', message: 'late' } })).toBe(false)
    const m = await t.store.messages.get(id)
    expect(m?.status).toBe('read')
    expect(m?.platform_message_id).toBe('pm-1')
    expect(m?.status_history.map((h) => h.status)).toEqual(['queued', 'sending', 'sent', 'read'])
    const times = m?.status_history.map((h) => h.at) ?? []
    expect([...times].sort()).toEqual(times)
    expect((await t.store.messages.findByPlatformId('tg', 'pm-1'))?.id).toBe(id)
  })

  it('accepts a bounce (failed after sent) and nothing after a final status', async () => {
    const { messageId: id } = await queued()
    const at = () => t.fx.now()
    expect(await t.store.messages.advance(id, 'sent', at(), {}, [])).toBe(true)
    expect(
      await t.store.messages.advance(
        id,
        'failed',
        at(),
        { error: { code: 'bounced', message: '550' } },
        [],
      ),
    ).toBe(true)
    expect(await t.store.messages.advance(id, 'delivered', at(), {}, [])).toBe(false)
    expect(await t.store.messages.advance(id, 'cancelled', at(), {}, [])).toBe(false)
    expect(await t.store.messages.get(id)).toMatchObject({
      status: 'failed',
      error: { code: 'bounced', message: '550' },
    })
    expect(await t.store.messages.advance('msg_missing', 'sent', at(), {}, [])).toBe(false)
  })

  it('queues its events only when the move happens', async () => {
    const { messageId: id } = await queued()
    const ev = (n: string) => [
      {
        id: n,
        type: 'message.status',
        created_at: '2025-01-01T00:00:00.000Z',
        data: {},
        targets: ['https://a.example'],
      },
    ]
    await t.store.messages.advance(id, 'sent', t.fx.now(), {}, ev('ev_1'))
    await t.store.messages.advance(id, 'sent', t.fx.now(), {}, ev('ev_2'))
    expect((await t.store.webhooks.lease(Date.now(), 10, 1000)).map((d) => d.eventId)).toEqual([
      'ev_1',
    ])
  })

  it.each([
    ['queued', 'sending', true],
    ['sending', 'queued', false],
    ['queued', 'cancelled', true],
    ['sent', 'cancelled', false],
    ['sending', 'failed', true],
    ['delivered', 'failed', false],
    ['cancelled', 'sent', false],
    ['failed', 'read', false],
  ] as [MessageStatus, MessageStatus, boolean][])('%s → %s is %s', (from, to, ok) => {
    expect(canAdvance(from, to)).toBe(ok)
  })
})

describe('message reads', () => {
  it('lists a thread oldest first with a cursor', async () => {
    const { contactId, threadId } = await queued()
    for (let i = 0; i < 4; i++) {
      await t.store.accept(
        t.fx.outPlan(contactId, {
          thread: { reuse: threadId, assign: null, addTags: [], actor: 'alice' },
        }),
      )
    }
    const p1 = await t.store.messages.listByThread(threadId, 3)
    const p2 = await t.store.messages.listByThread(threadId, 3, p1.next_cursor ?? undefined)
    expect(p1.items).toHaveLength(3)
    expect(p2).toMatchObject({ next_cursor: null })
    expect(p2.items).toHaveLength(2)
    const all = [...p1.items, ...p2.items].map((m) => m.created_at)
    expect([...all].sort()).toEqual(all)
  })

  it('merges messages and thread events of all threads into one timeline', async () => {
    const c = await t.fx.contact({ first_name: 'Ana' }).identity('tg', '42')
    const contactId = c.id
    await t.store.accept(t.fx.outPlan(contactId))
    const thread = (await t.store.threads.listActiveByContact(contactId))[0]?.id ?? ''
    await t.store.threads.close(thread, false, 'alice', t.fx.now(), [])
    await t.store.inbound.receive(t.fx.inPlan('42'))
    const kinds: string[] = []
    let cursor: string | undefined
    do {
      const page = await t.store.messages.timeline(contactId, 2, cursor)
      kinds.push(
        ...page.items.map((i) =>
          i.kind === 'event' ? i.event.type : `msg:${i.message.direction}`,
        ),
      )
      cursor = page.next_cursor ?? undefined
    } while (cursor)
    expect(kinds).toEqual(['opened', 'msg:out', 'closed', 'opened', 'msg:in'])
  })

  it('counts distinct recipients messaged since a time who never wrote', async () => {
    const silent = (await t.fx.contact({ first_name: 'S' }).identity('wa', '+4911')).id
    const wrote = (
      await t.fx.contact({ first_name: 'W' }).identity('wa', '+4922').wrote('wa', '+4922')
    ).id
    const since = t.fx.now()
    const plan = (contactId: string, address: string) =>
      t.fx.outPlan(contactId, {
        thread: {
          create: { id: t.fx.id('th'), channel: 'wa', assignee: null, tags: [] },
          singleOpen: false,
          actor: 'a',
        },
        message: {
          id: t.fx.id('msg'),
          channel: 'wa',
          author: { kind: 'app', id: 'shop' },
          address,
          text: 'x',
          template: null,
          email: null,
        },
      })
    await t.store.accept(plan(silent, '+4911'))
    await t.store.accept(plan(silent, '+4911'))
    await t.store.accept(plan(wrote, '+4922'))
    expect(await t.store.messages.countUnrepliedSince('wa', since)).toBe(1)
    expect(await t.store.messages.countUnrepliedSince('wa', t.fx.now())).toBe(0)
  })
})
