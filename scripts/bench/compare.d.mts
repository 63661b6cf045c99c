/** Types of compare.mjs (the bench's regression guard), for its test. */
export interface FigureRow {
  id: string
  what: string
  target: string | null
  measured: boolean
  median?: number
  min?: number
  max?: number
}
export interface Regression {
  id: string
  what: string
  baseline: number
  current: number
  change: number
}
export function betterWhen(row: FigureRow): 'higher' | 'lower' | null
export function regressions(
  baseline: FigureRow[],
  current: FigureRow[],
  worseBy?: number,
): Regression[]
export function describeRegressions(
  found: Regression[],
  baselineMeta: { date?: string } | undefined,
  worseBy?: number,
): string[]
