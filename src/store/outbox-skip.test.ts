/**
 * Leasing without the channels another daemon owns (DESIGN §10): their jobs are neither leased
 * nor counted as the next due time (the dispatcher would spin on a job it may not take), and
 * stay for the owner. Both dialects.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTempStore, type TempStore } from './test-fixtures.js'

let t: TempStore
beforeEach(async () => {
  t = await openTempStore()
})
afterEach(() => t.dispose())

const T0 = Date.parse('2025-06-01T00:00:00.000Z')
const LEASE_MS = 30_000

async function queued(channel: string, dueAt: number): Promise<string> {
  const c = await t.fx.contact({ first_name: channel })
  const plan = t.fx.outPlan(c.id, { outbox: { dueAt, recipientKey: `${channel}:${c.id}` } })
  plan.message.channel = channel
  if ('create' in plan.thread) plan.thread.create.channel = channel
  const r = await t.store.accept(plan)
  if (!r.ok) throw new Error('accept failed')
  return r.messageId
}

describe('outbox lease with skipped channels', () => {
  it("leaves the skipped channels' jobs for their owner, and does not count them as due", async () => {
    const mine = await queued('tg', T0 + 1)
    const theirs = await queued('sticky', T0)
    expect(await t.store.outbox.nextDue(['sticky'])).toBe(T0 + 1)
    const jobs = await t.store.outbox.lease(T0 + 10, 10, LEASE_MS, ['sticky'])
    expect(jobs.map((j) => j.messageId)).toEqual([mine])
    // Only the leased job's lease end is ahead; the skipped job, due long ago, is not counted.
    expect(await t.store.outbox.nextDue(['sticky'])).toBe(T0 + 10 + LEASE_MS)
    expect(await t.store.outbox.nextDue()).toBe(T0)
    const owner = await t.store.outbox.lease(T0 + 10, 10, LEASE_MS)
    expect(owner.map((j) => j.messageId)).toEqual([theirs])
  })
})
