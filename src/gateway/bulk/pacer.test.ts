import { describe, expect, it } from 'vitest'
import { BULK_SHARE, BulkPacer } from './pacer.js'

const NOW = 1_000_000

describe('BulkPacer', () => {
  it('spaces a bulk at a share of the channel rate, leaving the rest to single sends', () => {
    const p = new BulkPacer()
    const pace = p.pace('sms', 100, 0, NOW)
    expect(pace.start).toBe(NOW)
    expect(pace.intervalMs).toBeCloseTo(1000 / (100 * BULK_SHARE))
    expect(BULK_SHARE).toBeLessThan(1)
  })

  it('puts a second bulk on the same channel after the first; other channels are apart', () => {
    const p = new BulkPacer()
    p.commit('sms', NOW + 5000)
    expect(p.pace('sms', 100, 0, NOW).start).toBe(NOW + 5000)
    expect(p.pace('mail', 10, 0, NOW).start).toBe(NOW)
    p.commit('sms', NOW + 1000) // an earlier end never moves the schedule back
    expect(p.pace('sms', 100, 0, NOW).start).toBe(NOW + 5000)
  })

  it('a resumed bulk keeps its own pace, but never schedules into the past', () => {
    const p = new BulkPacer()
    expect(p.pace('sms', 100, NOW + 800, NOW).start).toBe(NOW + 800)
    expect(p.pace('sms', 100, NOW - 800, NOW).start).toBe(NOW)
  })
})
