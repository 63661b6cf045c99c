import { describe, expect, it } from 'vitest'
import { retryDelay } from './backoff.js'

const policy = { baseMs: 1000, maxMs: 60_000 }

describe('retryDelay', () => {
  it('doubles per attempt within the jitter band', () => {
    for (const [attempt, step] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
      [5, 16_000],
    ] as const) {
      expect(retryDelay(attempt, policy, undefined, () => 0)).toBe(step / 2)
      expect(retryDelay(attempt, policy, undefined, () => 0.999999)).toBeLessThanOrEqual(step)
    }
  })

  it('is capped', () => {
    expect(retryDelay(30, policy, undefined, () => 0.999999)).toBeLessThanOrEqual(60_000)
  })

  it('honours Retry-After exactly, even beyond the cap', () => {
    expect(retryDelay(1, policy, 7000)).toBe(7000)
    expect(retryDelay(1, policy, 120_000)).toBe(120_000)
  })
})
