/**
 * The load generator, in its own process (forked, IPC): autocannon against one URL, every
 * response's latency kept (autocannon's own summary has no p95), so the figures are exact
 * percentiles of this run. Scenarios build each request:
 *   - `static`: the same request each time (the hello reference);
 *   - `send`: `POST /v1/messages` to a random existing contact with a fresh Idempotency-Key;
 *   - `send-new`: `POST /v1/messages` to a new recipient (`to:` a fresh phone number) each time;
 *   - `search`: `GET /v1/contacts?q=<a random prefix from the list>`.
 * With `keepSamples`, the result also has every response as [Date.now(), ms], so a caller can
 * take percentiles over a time window of its own.
 * IPC: `ready`; `run` {spec} → {result}.
 */
import autocannon from 'autocannon'
import { phoneOf } from './lib/phones.mjs'
import { percentile } from './lib/stats.mjs'
import { serveIpc } from './lib/proc.mjs'

function requestsFor(spec) {
  const headers = { ...(spec.headers ?? {}) }
  if (spec.scenario === 'static') {
    return [{ method: spec.method ?? 'GET', path: spec.path ?? '/', headers, body: spec.body }]
  }
  if (spec.scenario === 'send') {
    let n = 0
    const ids = spec.contactIds
    const prefix = `bench-${process.pid}-${Date.now()}`
    return [
      {
        method: 'POST',
        path: '/v1/messages',
        setupRequest: (req) => ({
          ...req,
          headers: {
            ...headers,
            'content-type': 'application/json',
            'idempotency-key': `${prefix}-${n++}`,
          },
          body: JSON.stringify({
            contact_id: ids[Math.floor(Math.random() * ids.length)],
            channel: spec.channel,
            text: 'Hi {{first_name}}, your order has shipped and arrives tomorrow.',
          }),
        }),
      },
    ]
  }
  if (spec.scenario === 'send-new') {
    let n = spec.firstPhone
    return [
      {
        method: 'POST',
        path: '/v1/messages',
        setupRequest: (req) => ({
          ...req,
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({
            to: { channel: spec.channel, address: phoneOf(n++), first_name: 'Sam' },
            text: 'Hi {{first_name}}, your order has shipped and arrives tomorrow.',
          }),
        }),
      },
    ]
  }
  if (spec.scenario === 'search') {
    const qs = spec.queries
    return [
      {
        method: 'GET',
        path: '/v1/contacts',
        setupRequest: (req) => ({
          ...req,
          headers,
          path: `/v1/contacts?q=${encodeURIComponent(qs[Math.floor(Math.random() * qs.length)])}`,
        }),
      },
    ]
  }
  throw new Error(`unknown scenario ${spec.scenario}`)
}

async function run(spec) {
  const latencies = []
  const samples = spec.keepSamples ? [] : null
  const statuses = {}
  const opts = {
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    requests: requestsFor(spec),
    timeout: 30,
  }
  if (spec.overallRate) opts.overallRate = spec.overallRate
  const started = performance.now()
  const instance = autocannon(opts)
  instance.on('response', (_client, status, _bytes, ms) => {
    latencies.push(ms)
    samples?.push([Date.now(), ms])
    statuses[status] = (statuses[status] ?? 0) + 1
  })
  const r = await instance
  const elapsedS = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const ok = Object.entries(statuses)
    .filter(([s]) => s >= 200 && s < 300)
    .reduce((a, [, n]) => a + n, 0)
  return {
    connections: spec.connections,
    durationS: r.duration ?? elapsedS,
    responses: latencies.length,
    ok,
    statuses,
    errors: r.errors,
    timeouts: r.timeouts,
    rps: ok / (r.duration || elapsedS),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? null,
    ...(samples ? { samples } : {}),
  }
}

serveIpc({ ready: () => ({}), run: async (m) => ({ result: await run(m.spec) }) })
