/**
 * The bench's table: one row per figure of DESIGN §8 — median with min–max over the runs, the
 * target, the reference measured in the same run where there is one, and whether the median meets
 * the target. Rows whose scenario did not run (or could not) say why instead of a number.
 */
import { summary } from './lib/stats.mjs'

const le = (limit) => ({ text: `≤ ${limit}`, ok: (v) => v <= limit })
/** "Never above": met only when the worst run is within the limit, not the median. */
const never = (limit) => ({ text: `≤ ${limit} in every run`, ok: (v) => v <= limit, worst: true })
const ge = (limit) => ({ text: `≥ ${limit}`, ok: (v) => v >= limit })

/**
 * Row definitions: [id, what, values, target, reference, source]. `values(result)` gives one
 * number per run of the scenario `source` (default: the row's own id).
 */
const ROWS = [
  ['P1', 'hello reference (req/s)', (r) => r.runs.map((x) => x.hello.rps), null],
  ['P1', 'accept (req/s)', (r) => r.runs.map((x) => x.accept.rps), null, 'hello'],
  ['P1', 'accept ÷ hello', (r) => r.runs.map((x) => x.accept.rps / x.hello.rps), ge(0.25)],
  ['P1', 'accept p99 (ms)', (r) => r.runs.map((x) => x.accept.p99), le(10)],
  [
    'P1',
    'accept CPU per request (µs)',
    (r) => r.runs.map((x) => x.accept.cpuUsPerRequest),
    null,
    'helloCpu',
  ],
  [
    'P1',
    'store alone: accept() (accepts/s)',
    (r) => r.runs.flatMap((x) => (x.floor ? [x.floor.rps] : [])),
    null,
    'hello',
  ],
  [
    'P1',
    'store alone ÷ hello',
    (r) => r.runs.flatMap((x) => (x.floor ? [x.floor.rps / x.hello.rps] : [])),
    null,
  ],
  [
    'P1',
    'store alone: CPU per accept (µs)',
    (r) => r.runs.flatMap((x) => (x.floor ? [x.floor.cpuUsPerAccept] : [])),
    null,
  ],
  [
    'P1',
    'accept with dispatch (req/s)',
    (r) => r.runs.flatMap((x) => (x.withDispatch ? [x.withDispatch.rps] : [])),
    null,
    'hello',
  ],
  [
    'P1',
    'accept with dispatch ÷ hello',
    (r) => r.runs.flatMap((x) => (x.withDispatch ? [x.withDispatch.rps / x.hello.rps] : [])),
    ge(0.25),
  ],
  [
    'P1',
    'accept with dispatch p99 (ms)',
    (r) => r.runs.flatMap((x) => (x.withDispatch ? [x.withDispatch.p99] : [])),
    le(10),
  ],
  [
    'P1',
    'outbox growth over a run with dispatch (jobs)',
    (r) => r.runs.flatMap((x) => (x.withDispatch ? [x.withDispatch.backlogGrowth] : [])),
    // "No backlog growth": at most the jobs in flight in the 64 send slots when the load stops.
    le(64),
  ],
  ['P2', 'webhook drain (msg/s)', (r) => r.webhook.map((x) => x.rate), ge(20000)],
  ['P2', 'no-op drain (msg/s)', (r) => r.noop.map((x) => x.rate), ge(50000)],
  ['P2', 'store alone: lease + record (msg/s)', (r) => (r.floor ?? []).map((x) => x.rate), null],
  [
    'P2',
    'store alone: CPU per message (µs)',
    (r) => (r.floor ?? []).map((x) => x.cpuUsPerMessage),
    null,
  ],
  ['P3', 'bulk 100 000 enqueued (s)', (r) => r.runs.map((x) => x.enqueueS), le(5)],
  ['P3', 'single send p99 during bulk (ms)', (r) => r.runs.map((x) => x.single.p99), le(50)],
  [
    'P3',
    'store alone: bulk 100 000 (s)',
    (r) => r.runs.flatMap((x) => (x.floor ? [x.floor.seconds] : [])),
    null,
  ],
  [
    'P3',
    'store alone: CPU per recipient (µs)',
    (r) => r.runs.flatMap((x) => (x.floor ? [x.floor.cpuUsPerRecipient] : [])),
    null,
  ],
  ['P4', 'search p95 (ms)', (r) => r.runs.map((x) => x.p95), le(5)],
  ['P4', 'search p99 (ms)', (r) => r.runs.map((x) => x.p99), le(15)],
  ['P4', 'search throughput (req/s)', (r) => r.runs.map((x) => x.rps), null],
  ['P5', 'idle RSS, all connectors (MB)', (r) => r.idle.map((x) => x.rssMb), le(90)],
  ['P5', 'idle RSS, webhook only (MB)', (r) => (r.idleWebhook ?? []).map((x) => x.rssMb), le(90)],
  ['P5', 'start to healthy, 1 M contacts (ms)', (r) => r.start.map((x) => x.ms), le(500)],
  ['P5', 'RSS under P1 load (MB)', (r) => r.runs.map((x) => x.rssMaxMb), le(250), null, 'P1'],
  ['P5', 'RSS under P3 load (MB)', (r) => r.runs.map((x) => x.rssMaxMb), le(250), null, 'P3'],
  ['P6', 'max sends in any 1 s (limit 30)', (r) => r.runs.map((x) => x.maxPerSecond), never(30)],
  [
    'P6',
    'max to one recipient in any 1 s (1)',
    (r) => r.runs.map((x) => x.maxPerRecipient),
    never(1),
  ],
  ['P6', 'achieved rate (msg/s, limit 30)', (r) => r.runs.map((x) => x.rate), ge(28.5)],
  ['P6', 'one recipient (msg/s, limit 1)', (r) => r.runs.map((x) => x.hotRate), ge(0.95)],
  ['P7', 'accept, SQLite (req/s)', (r) => r.accept.sqlite.map((x) => x.rps), null],
  ['P7', 'accept, PostgreSQL (req/s)', (r) => r.accept.postgres.map((x) => x.rps), null, 'pg'],
  ['P7', 'accept PostgreSQL ÷ SQLite', (r) => ratios(r.accept, 'rps'), ge(0.5)],
  ['P7', 'accept p99, PostgreSQL (ms)', (r) => r.accept.postgres.map((x) => x.p99), null],
  [
    'P7',
    'accept CPU per request, SQLite daemon (µs)',
    (r) => r.accept.sqlite.map((x) => x.cpuUsPerRequest),
    null,
  ],
  [
    'P7',
    'accept CPU per request, PostgreSQL daemon (µs)',
    (r) => r.accept.postgres.map((x) => x.cpuUsPerRequest),
    null,
  ],
  [
    'P7',
    'accept CPU per request, PostgreSQL server (µs)',
    (r) => r.accept.postgres.map((x) => x.pgCpuUsPerRequest).filter((x) => x !== null),
    null,
  ],
  [
    'P7',
    'accept, 3 daemons on 1 PostgreSQL (req/s)',
    (r) => r.accept.three.map((x) => x.rps),
    null,
  ],
  ['P7', 'drain 10 000, SQLite (msg/s)', (r) => r.drain.sqlite.map((x) => x.rate), null],
  [
    'P7',
    'drain 10 000, PostgreSQL (msg/s)',
    (r) => r.drain.postgres.map((x) => x.rate),
    null,
    'pg',
  ],
  ['P7', 'drain PostgreSQL ÷ SQLite', (r) => ratios(r.drain, 'rate'), ge(0.5)],
  [
    'P7',
    'drain CPU per message, SQLite daemon (µs)',
    (r) => r.drain.sqlite.map((x) => x.daemonCpuUs).filter((x) => x !== undefined),
    null,
  ],
  [
    'P7',
    'drain CPU per message, PostgreSQL daemon (µs)',
    (r) => r.drain.postgres.map((x) => x.daemonCpuUs).filter((x) => x !== undefined),
    null,
  ],
  [
    'P7',
    'drain CPU per message, PostgreSQL server (µs)',
    (r) => r.drain.postgres.map((x) => x.serverCpuUs).filter((x) => x != null),
    null,
  ],
  [
    'P7',
    'drain CPU per message, webhook receiver, PostgreSQL run (µs)',
    (r) => r.drain.postgres.map((x) => x.relayCpuUs).filter((x) => x !== undefined),
    null,
  ],
  ['P7', 'drain, 3 daemons on 1 PostgreSQL (msg/s)', (r) => r.drain.three.map((x) => x.rate), null],
  [
    'P8',
    'RSS, 2 000 widget streams + a send to each (MB)',
    (r) => r.runs.map((x) => x.rssMaxMb),
    le(250),
  ],
  ['P8', 'send 202 → SSE event p99 (ms)', (r) => r.runs.map((x) => x.p99), le(50)],
  ['P8', 'send 202 → SSE event p50 (ms)', (r) => r.runs.map((x) => x.p50), null],
  [
    'P8',
    'daemon CPU per message, send to event and delivered (µs)',
    (r) => r.runs.map((x) => x.cpuPerMessageUs),
    null,
  ],
]

/** PostgreSQL ÷ SQLite per run (run i of each store, measured back to back). */
function ratios(byStore, key) {
  return byStore.postgres.map((x, i) => x[key] / (byStore.sqlite[i]?.[key] ?? NaN))
}

/** The rows for `results` (keyed P1…P8); P5's load rows read P1's and P3's results. */
export function figures(results) {
  const hello = results.P1 ? summary(results.P1.runs.map((x) => x.hello.rps)).median : null
  const helloCpu = results.P1
    ? summary(results.P1.runs.map((x) => x.hello.cpuUsPerRequest)).median
    : null
  return ROWS.map(([id, what, values, target, ref, source]) => {
    const r = results[source ?? id]
    const row = { id, what, target: target?.text ?? null }
    if (!r) return { ...row, measured: false, note: 'not run' }
    if (r.notMeasured) return { ...row, measured: false, note: r.notMeasured }
    const v = values(r)
    if (!v || v.length === 0) return { ...row, measured: false, note: 'not measured' }
    const s = summary(v)
    return {
      ...row,
      measured: true,
      median: s.median,
      min: s.min,
      max: s.max,
      runs: s.runs,
      reference: reference(ref, hello, helloCpu, r),
      met: target && s.median !== null ? target.ok(target.worst ? s.max : s.median) : null,
    }
  })
}

function reference(ref, hello, helloCpu, r) {
  if (ref === 'hello' && hello !== null) return `hello ${fmt(hello)} req/s`
  if (ref === 'pg' && r.server) {
    const s = r.server
    return `PostgreSQL ${s.version}, fsync ${s.fsync}, synchronous_commit ${s.synchronous_commit}`
  }
  if (ref === 'helloCpu' && helloCpu !== null) return `hello ${fmt(helloCpu)} µs`
  return null
}

function fmt(v) {
  if (v === null || v === undefined) return '—'
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US')
  if (Math.abs(v) >= 100) return v.toFixed(0)
  if (Math.abs(v) >= 10) return v.toFixed(1)
  return v.toFixed(2)
}

/** Prints the table (markdown, so docs/benchmarks.md can quote it as is). */
export function printTable(rows, meta) {
  const lines = [
    `Omnigate bench ${meta.date} — node ${meta.node}, ${meta.cpus} × ${meta.cpu}; ` +
      `median (min–max) of ${meta.runs} runs`,
    '',
    '| # | figure | median (min–max) | target | met | reference / note |',
    '|---|---|---|---|---|---|',
  ]
  for (const r of rows) {
    const value = r.measured ? `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})` : '—'
    const met = r.met === null || r.met === undefined ? '' : r.met ? 'yes' : '**no**'
    const ref = r.measured ? (r.reference ?? '') : r.note
    lines.push(`| ${r.id} | ${r.what} | ${value} | ${r.target ?? ''} | ${met} | ${ref} |`)
  }
  lines.push('', `took ${meta.took_s} s`)
  process.stdout.write(`${lines.join('\n')}\n`)
}
