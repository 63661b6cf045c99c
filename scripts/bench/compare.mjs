/**
 * The bench's regression guard (issue 14): compares a run's figures with a committed baseline
 * (`bench/baseline.json`, written by `npm run bench -- --save-baseline`) and names every figure
 * that got worse by more than a threshold (20 % by default). Not a timed test: it reads two
 * result files, so it says nothing until someone runs the bench on a quiet machine.
 *
 * Which way is worse comes from the row's target (≥ → lower is worse; ≤ → higher is worse) or,
 * for rows without one, from its unit: rates and ratios are better higher, times, sizes and CPU
 * per request better lower.
 */

/** Default threshold: a figure this much worse than the baseline is reported. */
const WORSE_BY = 0.2

/**
 * 'higher' when a bigger number is better, 'lower' when a smaller one is, null when the row says
 * neither (it is then not compared).
 */
export function betterWhen(row) {
  if (row.target?.startsWith('≥')) return 'higher'
  if (row.target?.startsWith('≤')) return 'lower'
  if (/\((req|msg)\/s\b|÷/.test(row.what)) return 'higher'
  if (/\((ms|s|MB|µs)\)/.test(row.what)) return 'lower'
  return null
}

/**
 * The figures of `current` worse than the same figure of `baseline` by more than `worseBy`
 * (medians compared), each `{id, what, baseline, current, change}` where `change` is the
 * relative change in the worse direction (0.25 = 25 % worse). Figures measured in only one of
 * the two are skipped.
 */
export function regressions(baseline, current, worseBy = WORSE_BY) {
  const before = new Map(baseline.map((r) => [`${r.id} ${r.what}`, r]))
  const out = []
  for (const now of current) {
    const was = before.get(`${now.id} ${now.what}`)
    if (!was?.measured || !now.measured) continue
    const dir = betterWhen(now)
    if (!dir || !(was.median > 0) || !Number.isFinite(now.median)) continue
    const change =
      dir === 'higher'
        ? (was.median - now.median) / was.median
        : (now.median - was.median) / was.median
    if (change > worseBy)
      out.push({ id: now.id, what: now.what, baseline: was.median, current: now.median, change })
  }
  return out
}

/** The report lines for `regressions()`'s answer (one line when nothing got worse). */
export function describeRegressions(found, baselineMeta, worseBy = WORSE_BY) {
  const against = `the baseline of ${baselineMeta?.date ?? 'unknown date'}`
  if (found.length === 0) return [`no figure worse than ${against} by more than ${pct(worseBy)}`]
  return [
    `${found.length} figure(s) worse than ${against} by more than ${pct(worseBy)}:`,
    ...found.map(
      (r) =>
        `  ${r.id} ${r.what}: ${round(r.baseline)} → ${round(r.current)} (${pct(r.change)} worse)`,
    ),
  ]
}

const pct = (x) => `${Math.round(x * 100)} %`
const round = (v) => (Math.abs(v) >= 100 ? Math.round(v) : Number(v.toPrecision(3)))
