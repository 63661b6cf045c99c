import { describe, expect, it } from 'vitest'
import { CHANNEL_CAPABILITIES } from '../../connectors/capabilities.js'
import { Pacer } from './rate-limiter.js'
import { sendJitterMs } from './send-jitter.js'

/** A seeded generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('sendJitterMs', () => {
  it.each([
    ['whatsapp', 2000, 0, 0],
    ['whatsapp', 2000, 0.5, 500],
    ['whatsapp', 2000, 0.999, 999],
    ['telegram', 2000, 0.9, 0],
    ['whatsapp-cloud', 2000, 0.9, 0],
    ['webhook', 2000, 0.9, 0],
    ['whatsapp', Number.POSITIVE_INFINITY, 0.9, 0],
  ] as const)('%s at %d ms with random %d → %d ms', (type, interval, r, expected) => {
    const jittered = CHANNEL_CAPABILITIES[type].sendJitter
    expect(sendJitterMs(jittered, interval, () => r)).toBeCloseTo(expected, 6)
  })

  it('paced and jittered, a backlog never goes above the rate, and its gaps vary', () => {
    for (const seed of [1, 2, 3, 42, 2025]) {
      const random = lcg(seed)
      const perSecond = 0.5
      const pacer = new Pacer(perSecond)
      const slots: number[] = []
      // 200 sends all due at once, as after a long disconnect: each takes the next jittered slot.
      for (let i = 0; i < 200; i++) {
        const slot = pacer.nextFree('wa', 0) + sendJitterMs(true, pacer.intervalMs, random)
        pacer.reserve('wa', slot)
        slots.push(slot)
      }
      const gaps = slots.slice(1).map((s, i) => s - (slots[i] ?? 0))
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 / perSecond)
      expect(Math.max(...gaps)).toBeLessThanOrEqual(1000 / perSecond + 1000 + 1)
      expect(new Set(gaps.map((g) => Math.round(g / 50))).size).toBeGreaterThan(5)
      // Any window of 10 s holds at most 10 s × 0.5/s = 5 sends.
      for (const start of slots) {
        expect(slots.filter((s) => s >= start && s < start + 10_000).length).toBeLessThanOrEqual(5)
      }
    }
  })
})
