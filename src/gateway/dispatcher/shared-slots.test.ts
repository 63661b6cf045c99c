import { describe, expect, it } from 'vitest'
import { sharedIntervalMs, sharedLimits } from './shared-slots.js'

describe('shared slot intervals', () => {
  it.each([0.2, 0.5, 1, 2, 2.5, 10, 30, 100, 1000, 5000])(
    'at %s/s: the limit never above in any second, with room for late writes',
    (perSecond) => {
      const interval = sharedIntervalMs(perSecond)
      const n = Math.max(1, Math.floor(perSecond))
      // n + 1 consecutive slots span more than a second (by the margin, up to 1024 slots).
      expect(n * interval).toBeGreaterThan(Math.min(1000, (n * 1000) / perSecond) + 4)
      // Never closer than the in-process plan (98 % of the limit).
      expect(interval).toBeGreaterThanOrEqual(1000 / (perSecond * 0.98))
    },
  )

  // Within 10 % of a whole limit: the margin for the jitter between daemons (P6's 5 % is what one
  // daemon pacing in memory keeps; see SHARED_MARGIN_MS).
  it.each([1, 2, 10, 30, 100])('at %s/s: within 10 % of a whole limit', (perSecond) => {
    expect(1000 / sharedIntervalMs(perSecond)).toBeGreaterThanOrEqual(perSecond * 0.9)
  })

  it('keys the channel and the channel’s recipient apart', () => {
    const limits = sharedLimits('sms', '+15550001', { per_second: 30, per_recipient_per_second: 1 })
    expect(limits.map((l) => l.key)).toEqual(['c:sms', 'r:sms:+15550001'])
    expect(limits[1]?.intervalMs).toBeCloseTo(1100, 6)
  })
})
