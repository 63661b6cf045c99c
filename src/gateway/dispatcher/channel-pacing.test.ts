import { describe, expect, it } from 'vitest'
import type { OutboxJob } from '../../store/types.js'
import { ChannelPacing } from './channel-pacing.js'

const RATE = { per_second: 30, per_recipient_per_second: 1 }

function job(jobId: number, recipientKey: string): OutboxJob {
  return {
    jobId,
    messageId: `m${jobId}`,
    channel: 'relay',
    recipientKey,
    attempts: 0,
    dueAt: 0,
    bulkId: null,
  }
}

/**
 * Runs `slot()` as the dispatcher does, on a simulated clock: each job when it is accepted, and a
 * held job again at its due time (jobs due together in due order, as the store leases them).
 * Returns each job's send time.
 */
function simulate(arrivals: { at: number; job: OutboxJob }[]): Map<number, number> {
  const pacing = new ChannelPacing(() => RATE)
  const sent = new Map<number, number>()
  const queue = arrivals.map((a) => ({ ...a }))
  while (queue.length > 0) {
    queue.sort((x, y) => x.at - y.at || x.job.jobId - y.job.jobId)
    const next = queue.shift() as { at: number; job: OutboxJob }
    const decision = pacing.slot(next.job, false, next.at)
    if (decision.kind === 'send') sent.set(next.job.jobId, decision.at)
    else queue.push({ at: decision.due, job: next.job })
  }
  return sent
}

describe('ChannelPacing', () => {
  it('a recipient at its own limit keeps its pace while a burst to others is accepted', () => {
    // P6's burst: 600 sends accepted over 400 ms, every 20th to one recipient, the rest to one
    // recipient each. That recipient's turns are a second apart; the jobs accepted after one of
    // them was planned must leave its slot free (they took it, and pushed its second send up to
    // 2 s after its first).
    const arrivals = Array.from({ length: 600 }, (_, i) => ({
      at: 1000 + (i * 400) / 600,
      job: job(i + 1, i % 20 === 0 ? 'hot' : `r${i}`),
    }))
    const sent = simulate(arrivals)
    expect(sent.size).toBe(600)
    const hot = arrivals
      .filter((a) => a.job.recipientKey === 'hot')
      .map((a) => sent.get(a.job.jobId) as number)
      .sort((x, y) => x - y)
    const gaps = hot.slice(1).map((t, i) => t - (hot[i] as number))
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(1000)
      expect(gap).toBeLessThan(1060)
    }
    // The channel: never more than 30 in a second, and close to it.
    const times = [...sent.values()].sort((x, y) => x - y)
    for (let i = 30; i < times.length; i++)
      expect((times[i] as number) - (times[i - 30] as number)).toBeGreaterThanOrEqual(1000)
    const first = times[0] as number
    expect(times.filter((t) => t < first + 10_000).length).toBeGreaterThanOrEqual(290)
  })

  it('a single send accepted during a long paced queue goes within a second', () => {
    const arrivals = Array.from({ length: 3000 }, (_, i) => ({ at: 0, job: job(i + 1, `b${i}`) }))
    arrivals.push({ at: 30_000, job: job(5000, 'single') })
    const sent = simulate(arrivals)
    expect(sent.get(5000)).toBeLessThan(31_000)
  })

  it('a recipient with a queue longer than a minute keeps its order and its pace', () => {
    const arrivals = Array.from({ length: 90 }, (_, i) => ({ at: i, job: job(i + 1, 'busy') }))
    const sent = simulate(arrivals)
    const times = arrivals.map((a) => sent.get(a.job.jobId) as number)
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] as number) - (times[i - 1] as number)
      expect(gap).toBeGreaterThanOrEqual(1000)
      expect(gap).toBeLessThan(1060)
    }
  })
})
