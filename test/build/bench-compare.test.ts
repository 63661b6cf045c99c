import { describe, expect, it } from 'vitest'
import {
  betterWhen,
  describeRegressions,
  regressions,
  type FigureRow,
} from '../../scripts/bench/compare.mjs'

const row = (what: string, target: string | null, median: number): FigureRow => ({
  id: 'P1',
  what,
  target,
  measured: true,
  median,
})

describe('the bench regression guard', () => {
  it('knows which way is worse from the target, else from the unit', () => {
    expect(betterWhen(row('accept ÷ hello', '≥ 0.25', 1))).toBe('higher')
    expect(betterWhen(row('accept p99 (ms)', '≤ 10', 1))).toBe('lower')
    expect(betterWhen(row('max sends in any 1 s (limit 30)', '≤ 30 in every run', 1))).toBe('lower')
    expect(betterWhen(row('accept (req/s)', null, 1))).toBe('higher')
    expect(betterWhen(row('drain 10 000, SQLite (msg/s)', null, 1))).toBe('higher')
    expect(betterWhen(row('accept CPU per request (µs)', null, 1))).toBe('lower')
    expect(betterWhen(row('something else', null, 1))).toBeNull()
  })

  it('names figures more than 20 % worse, in either direction, and only those', () => {
    const base = [
      row('accept (req/s)', null, 1000),
      row('accept p99 (ms)', '≤ 10', 10),
      row('idle RSS (MB)', '≤ 90', 100),
      row('search p95 (ms)', '≤ 5', 4),
    ]
    const now = [
      row('accept (req/s)', null, 790), // 21 % fewer: worse
      row('accept p99 (ms)', '≤ 10', 11.9), // 19 % more: within
      row('idle RSS (MB)', '≤ 90', 70), // better
      row('search p95 (ms)', '≤ 5', 5), // 25 % more: worse
      row('new figure (ms)', null, 1), // not in the baseline
    ]
    const found = regressions(base, now)
    expect(found.map((r) => r.what)).toEqual(['accept (req/s)', 'search p95 (ms)'])
    expect(found[0]?.change).toBeCloseTo(0.21)
    const text = describeRegressions(found, { date: '2026-12-01' }).join('\n')
    expect(text).toContain('2 figure(s) worse than the baseline of 2026-12-01 by more than 20 %')
    expect(text).toContain('P1 accept (req/s): 1000 → 790 (21 % worse)')
  })

  it('skips figures not measured in either run', () => {
    const base = [row('accept (req/s)', null, 1000)]
    const now: FigureRow[] = [{ id: 'P1', what: 'accept (req/s)', target: null, measured: false }]
    expect(regressions(base, now)).toEqual([])
    expect(describeRegressions([], undefined)[0]).toMatch(/^no figure worse/)
  })
})
