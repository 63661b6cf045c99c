/** Small statistics for bench figures: percentiles, median with range, sliding-window maxima. */

/** The p-th percentile (nearest rank) of an ascending array; null when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

/** Median, min and max of a figure over runs (nulls dropped); all null when no run measured it. */
export function summary(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return { median: null, min: null, max: null, runs: [] }
  const mid = Math.floor(v.length / 2)
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
  return { median, min: v[0], max: v[v.length - 1], runs: values }
}

/**
 * The most events in any window of `windowMs` over ascending times `t` (ms): a window
 * [t_i, t_i + windowMs) starting at each event, which is where the maximum always is.
 */
export function maxInWindow(t, windowMs = 1000) {
  let best = 0
  let j = 0
  for (let i = 0; i < t.length; i++) {
    while (j < t.length && t[j] < t[i] + windowMs) j++
    best = Math.max(best, j - i)
  }
  return best
}
