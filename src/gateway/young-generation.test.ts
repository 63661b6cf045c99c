import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = new URL('../../', import.meta.url).pathname
/** The built module (test/global-setup.ts builds dist/ before the suites). */
const MODULE = join(ROOT, 'dist/gateway/young-generation.js')

/**
 * A child node: with the growth factor held (or not), a start-up's worth of short-lived
 * allocations, then load until `releaseYoungGenerationUnderLoad` lets go, then more load. The
 * sizes of V8's new space (bytes) at each step.
 */
function run(hold: boolean): { start: number; held: number; released: boolean; grown: number } {
  const code = `
    import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
    if (${hold}) setFlagsFromString('--semi-space-growth-factor=1')
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size
    const churn = (n) => {
      let keep = []
      for (let i = 0; i < n; i++) {
        keep.push({ i, s: 'x'.repeat(64) })
        if (keep.length > 50000) keep = []
      }
      return keep.length
    }
    const start = newSpace()
    churn(3e6)
    const held = newSpace()
    const { releaseYoungGenerationUnderLoad } = await import(process.env.MODULE)
    let released = false
    releaseYoungGenerationUnderLoad(() => { released = true })
    const tick = () => new Promise((r) => setImmediate(r))
    const until = Date.now() + 10000
    while (!released && Date.now() < until) { churn(2e5); await tick() }
    for (let i = 0; i < 20; i++) { churn(5e5); await tick() }
    console.log(JSON.stringify({ start, held, released, grown: newSpace() }))
  `
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, MODULE },
    encoding: 'utf8',
  })
  return JSON.parse(out) as { start: number; held: number; released: boolean; grown: number }
}

/**
 * A child node with the growth factor held: the watcher on, a burst of allocations for `burstMs`
 * (dozens of scavenges), then idle for 1.5 s. Whether the watcher let the young generation grow.
 */
function burst(burstMs: number): boolean {
  const code = `
    import { setFlagsFromString } from 'node:v8'
    setFlagsFromString('--semi-space-growth-factor=1')
    const { releaseYoungGenerationUnderLoad } = await import(process.env.MODULE)
    let released = false
    releaseYoungGenerationUnderLoad(() => { released = true })
    let keep = []
    const until = performance.now() + ${burstMs}
    while (performance.now() < until) {
      keep.push({ s: 'x'.repeat(64) })
      if (keep.length > 50000) keep = []
    }
    await new Promise((r) => setTimeout(r, 1500))
    console.log(JSON.stringify({ released }))
  `
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, MODULE },
    encoding: 'utf8',
  })
  return (JSON.parse(out) as { released: boolean }).released
}

describe('the young generation (bin/omnigate.js, serve)', () => {
  it('stays held through a burst of scavenges shorter than a second (a start-up, a connect)', () => {
    expect(burst(400)).toBe(false)
  })

  it('stays at its initial size through a start-up, and grows again once load comes', () => {
    const r = run(true)
    // V8 may still take one step (1 → 2 MB); unheld, the same start-up takes it to 16 MB or more.
    expect(r.held).toBeLessThanOrEqual(2 * r.start)
    expect(r.released).toBe(true)
    expect(r.grown).toBeGreaterThanOrEqual(2 * r.held)
  })

  it('without the hold, the same start-up grows it (what the hold saves)', () => {
    const r = run(false)
    expect(r.held).toBeGreaterThanOrEqual(8 * r.start)
  })
})
