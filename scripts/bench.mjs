#!/usr/bin/env node
/**
 * `npm run bench`: measures DESIGN §8's P1–P8 against the built daemon (`node bin/omnigate.js
 * serve`, a separate process) loaded by autocannon from another process, prints one table — each
 * figure as the median with min–max over the runs, next to its target and reference — and writes
 * it to bench/results/<date>.json. Data sets are generated on the fly in a temp folder.
 *
 *   npm run bench                      # everything (about 10 minutes on 2 cores)
 *   npm run bench -- --only P1,P4      # some of it
 *   npm run bench -- --runs 5 --duration 10
 *   npm run bench -- --compare         # also name figures > 20 % worse than bench/baseline.json
 *   npm run bench -- --save-baseline   # make this run the baseline (commit the file)
 *
 * How each figure is measured, and why: docs/benchmarks.md.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ensureBuilt } from './bench/lib/build.mjs'
import { ROOT } from './bench/lib/paths.mjs'

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    keep: { type: 'boolean', default: false },
    compare: { type: 'boolean', default: false },
    baseline: { type: 'string', default: 'bench/baseline.json' },
    'save-baseline': { type: 'boolean', default: false },
  },
})
const only = new Set((values.only ?? 'P1,P2,P3,P4,P5,P6,P7,P8').toUpperCase().split(','))
const runs = Math.max(1, Number(values.runs))
const durationS = Math.max(1, Number(values.duration))

const started = Date.now()
ensureBuilt()
// Imported after the build: the helpers load modules from dist/.
const { forkHelper } = await import('./bench/lib/proc.mjs')
const { figures, printTable } = await import('./bench/report.mjs')

const work = mkdtempSync(join(tmpdir(), 'omnigate-bench-'))
const load = await forkHelper('load.mjs')
const results = {}
const note = (s) => process.stderr.write(`${s}\n`)
const ctx = { work, runs, durationS, load, results, shared: {} }
try {
  const steps = [
    ['P1', () => import('./bench/p1-accept.mjs').then((m) => m.runP1(ctx))],
    ['P2', () => import('./bench/p2-dispatch.mjs').then((m) => m.runP2(ctx))],
    ['P4', () => import('./bench/p4-search.mjs').then((m) => m.runP4(ctx))],
    ['P5', () => import('./bench/p5-footprint.mjs').then((m) => m.runP5(ctx))],
    ['P6', () => import('./bench/p6-rate.mjs').then((m) => m.runP6(ctx))],
    // Last: it uses bulk sending, built in parallel with the bench.
    ['P3', () => import('./bench/p3-bulk.mjs').then((m) => m.runP3(ctx))],
    // Apart from the rest: it starts a PostgreSQL cluster of its own (or uses OMNIGATE_BENCH_PG_URL).
    ['P7', () => import('./bench/p7-postgres.mjs').then((m) => m.runP7(ctx))],
    ['P8', () => import('./bench/p8-webchat.mjs').then((m) => m.runP8(ctx))],
  ]
  for (const [id, step] of steps) {
    if (!only.has(id)) continue
    const t = Date.now()
    note(`— ${id} —`)
    results[id] = await step()
    note(`${id} took ${((Date.now() - t) / 1000).toFixed(0)} s`)
  }
} finally {
  await load.close()
  if (!values.keep) rmSync(work, { recursive: true, force: true })
  else note(`kept ${work}`)
}

const rows = figures(results)
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  cpu: (await import('node:os')).cpus()[0]?.model ?? null,
  runs,
  durationS,
  took_s: Math.round((Date.now() - started) / 1000),
}
printTable(rows, meta)
const dir = join(ROOT, 'bench/results')
mkdirSync(dir, { recursive: true })
const file = join(dir, `${meta.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`)
writeFileSync(file, `${JSON.stringify({ meta, figures: rows, raw: results }, null, 2)}\n`)
note(`wrote ${file}`)

// The regression guard: the committed baseline is whole runs of the same scenarios, so only the
// figures measured in both are compared (a run with --only compares those).
const baselineFile = resolve(ROOT, values.baseline)
if (values['save-baseline']) {
  // A run of some scenarios (--only) replaces their figures and keeps the others'.
  const kept = existsSync(baselineFile)
    ? JSON.parse(readFileSync(baselineFile, 'utf8')).figures
    : []
  const ran = new Set(rows.filter((r) => r.measured).map((r) => `${r.id} ${r.what}`))
  const merged = [
    ...kept.filter((r) => !ran.has(`${r.id} ${r.what}`)),
    ...rows.filter((r) => r.measured),
  ]
  writeFileSync(baselineFile, `${JSON.stringify({ meta, figures: merged }, null, 2)}\n`)
  note(`wrote the baseline ${baselineFile}`)
} else if (values.compare) {
  if (!existsSync(baselineFile)) {
    note(`no baseline at ${baselineFile}: run with --save-baseline first`)
    process.exitCode = 2
  } else {
    const { regressions, describeRegressions } = await import('./bench/compare.mjs')
    const base = JSON.parse(readFileSync(baselineFile, 'utf8'))
    const found = regressions(base.figures, rows)
    process.stdout.write(`\n${describeRegressions(found, base.meta).join('\n')}\n`)
    if (found.length > 0) process.exitCode = 1
  }
}
