/**
 * Automation firings (DESIGN §14), both dialects: a trigger fires once however often it is seen,
 * `once_per` counts fired (not skipped) rows and survives a reopen, a skip queues its app event,
 * silent threads leave out automations' own sends and a silence period already acted on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTempStore, type TempStore } from './test-fixtures.js'
import { silenceKey, type AutomationFiring } from './types.js'

let t: TempStore
beforeEach(async () => {
  t = await openTempStore()
})
afterEach(() => t.dispose())

const HOUR = 3600_000

function firing(contactId: string, over: Partial<AutomationFiring> = {}): AutomationFiring {
  return {
    automation: 'away',
    triggerKey: 'msg:1',
    contactId,
    threadId: null,
    at: '2026-01-01T10:00:00.000Z',
    oncePerMs: null,
    ...over,
  }
}

describe('automation firings', () => {
  it('claims a trigger once, even after a reopen', async () => {
    const c = await t.fx.contact()
    expect(await t.store.automations.claim(firing(c.id))).toBe('claimed')
    expect(await t.store.automations.claim(firing(c.id))).toBe('seen')
    // Another automation on the same trigger is its own firing.
    expect(await t.store.automations.claim(firing(c.id, { automation: 'greet' }))).toBe('claimed')
    await t.reopen()
    expect(await t.store.automations.claim(firing(c.id))).toBe('seen')
  })

  it('once_per: too soon within the period for the contact, a skipped firing not counted', async () => {
    const c = await t.fx.contact()
    const other = await t.fx.contact()
    const per = 12 * HOUR
    expect(await t.store.automations.claim(firing(c.id, { oncePerMs: per }))).toBe('claimed')
    const later = (h: number, key: string, id = c.id) =>
      firing(id, {
        oncePerMs: per,
        triggerKey: key,
        at: new Date(Date.parse('2026-01-01T10:00:00.000Z') + h * HOUR).toISOString(),
      })
    expect(await t.store.automations.claim(later(11, 'msg:2'))).toBe('too_soon')
    expect(await t.store.automations.claim(later(1, 'msg:3', other.id))).toBe('claimed')
    await t.reopen()
    expect(await t.store.automations.claim(later(12, 'msg:4'))).toBe('claimed')
    // msg:4 was refused: it does not hold the next one back.
    await t.store.automations.skip('away', 'msg:4', 'window_closed', [])
    expect(await t.store.automations.claim(later(13, 'msg:5'))).toBe('claimed')
  })

  it('an erased (unknown) contact is no_contact and nothing is written', async () => {
    expect(await t.store.automations.claim(firing('ct_nobody'))).toBe('no_contact')
  })

  it('skip queues its app events in the same transaction', async () => {
    const c = await t.fx.contact()
    await t.store.automations.claim(firing(c.id))
    const before = await t.store.webhooks.depth()
    await t.store.automations.skip('away', 'msg:1', 'window_closed', [
      {
        id: 'ev_skip1',
        type: 'automation.skipped',
        created_at: '2026-01-01T10:00:00.000Z',
        data: { automation: 'away', contact_id: c.id, thread_id: null, code: 'window_closed' },
        targets: ['http://127.0.0.1:1/hook'],
      },
    ])
    expect(await t.store.webhooks.depth()).toBe(before + 1)
  })

  it('silent threads: by the last message not sent by an automation, once per silence period', async () => {
    const c = await t.fx.contact().identity('tg', '42').wrote('tg', '42', 'help')
    const thread = (await t.store.threads.listActiveByContact(c.id))[0]
    if (!thread) throw new Error('no thread')
    const last = (await t.store.messages.listByThread(thread.id, 10)).items[0]
    if (!last) throw new Error('no message')
    // An automation's own send later does not move the silence clock.
    const plan = t.fx.outPlan(c.id, {
      thread: { reuse: thread.id, assign: null, addTags: [], actor: 'automation:nudge' },
    })
    plan.message.author = { kind: 'automation', id: 'nudge' }
    expect((await t.store.accept(plan)).ok).toBe(true)
    const q = { automation: 'nudge', before: '2099-01-01T00:00:00.000Z', channels: null, limit: 10 }
    const silent = await t.store.automations.silentThreads(q)
    expect(silent).toEqual([
      { id: thread.id, contact_id: c.id, channel: 'tg', last_at: last.created_at },
    ])
    expect(await t.store.automations.silentThreads({ ...q, before: last.created_at })).toHaveLength(
      1,
    )
    const earlier = new Date(Date.parse(last.created_at) - 1).toISOString()
    expect(await t.store.automations.silentThreads({ ...q, before: earlier })).toEqual([])
    expect(await t.store.automations.silentThreads({ ...q, channels: ['wa'] })).toEqual([])
    expect(await t.store.automations.silentThreads({ ...q, channels: ['wa', 'tg'] })).toHaveLength(
      1,
    )
    await t.store.automations.claim({
      automation: 'nudge',
      triggerKey: silenceKey(thread.id, last.created_at),
      contactId: c.id,
      threadId: thread.id,
      at: '2099-01-01T00:00:00.000Z',
      oncePerMs: null,
    })
    expect(await t.store.automations.silentThreads(q)).toEqual([])
    // Another automation has not acted on it yet.
    expect(await t.store.automations.silentThreads({ ...q, automation: 'other' })).toHaveLength(1)
    // The person writes again: a new silence period.
    await t.store.inbound.receive(t.fx.inPlan('42', { text: 'still there?' }))
    expect(await t.store.automations.silentThreads(q)).toHaveLength(1)
    expect(await t.store.automations.inboundCount(c.id, 5)).toBe(2)
    expect(await t.store.automations.inboundCount(c.id, 1)).toBe(1)
  })
})
