import { describe, expect, it } from 'vitest'
import { reconnectDelay } from './backoff.js'

const backoff = { baseMs: 5_000, maxMs: 300_000 }

describe('reconnectDelay', () => {
  it.each([
    // attempt, random, expected
    [1, 0.5, 5_000],
    [2, 0.5, 10_000],
    [3, 0.5, 20_000],
    [7, 0.5, 300_000], // 320 s capped at 300 s
    [30, 0.5, 300_000],
    [1, 0, 4_000], // jitter floor: 0.8×
    [1, 1, 6_000], // jitter ceiling: 1.2×
    [0, 0.5, 5_000], // defensive: attempt < 1 counts as the first
  ])('attempt %i with random %d waits %i ms', (attempt, random, expected) => {
    expect(reconnectDelay(attempt, backoff, () => random)).toBe(expected)
  })
})
