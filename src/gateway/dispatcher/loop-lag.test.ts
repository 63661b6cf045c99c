import { describe, expect, it } from 'vitest'
import { LAG_MAX_MS, LoopLag } from './loop-lag.js'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Keeps the event loop busy for `ms` (what a loaded machine or a long task does to it). */
function block(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // busy
  }
}

describe('LoopLag', () => {
  it('reads a stalled event loop as lag at once and for the next second, never above the cap', async () => {
    const clock = { now: 0 }
    const lag = new LoopLag(() => clock.now)
    await pause(30)
    for (let i = 0; i < 3; i++) {
      block(60)
      await pause(15)
    }
    const seen = lag.current() // counted at once, before the period (1 s) is over
    expect(seen).toBeGreaterThanOrEqual(30)
    expect(seen).toBeLessThanOrEqual(LAG_MAX_MS)
    clock.now = 1000
    expect(lag.current()).toBeGreaterThanOrEqual(seen) // the period's worst, kept for the next
    block(300)
    await pause(15)
    expect(lag.current()).toBe(LAG_MAX_MS)
  })
})
