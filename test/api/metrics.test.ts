/**
 * `GET /metrics` as Prometheus tooling sees it: the real `promtool check metrics` (Debian's
 * `prometheus` package) on the text of a gateway that has sent, failed and received messages; and
 * the metric table of docs/api.md kept in sync with the registry both ways (name, type, labels).
 *
 * Without promtool the check is skipped, unless `CI` is set: CI must have it (`.ci/run` installs it).
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sign } from '../../src/connectors/webhook/signature.js'
import { Health } from '../../src/gateway/health/index.js'
import { createMetrics } from '../../src/gateway/metrics.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'

const PROMTOOL = process.env.PROMTOOL ?? 'promtool'
const promtoolFound = spawnSync(PROMTOOL, ['--version'], { stdio: 'ignore' }).error === undefined
const onCi = (process.env.CI ?? '') !== '' && process.env.CI !== 'false'

let relay: WebhookReceiver
let t: TestGateway

beforeAll(async () => {
  // The second recipient's messages are refused by the relay for good (404 → failed).
  relay = await startWebhookReceiver({
    secret: 'relay-secret',
    answer: (req) =>
      JSON.stringify(req.json).includes('+491709999999')
        ? { kind: 'status', status: 404, body: 'no such number' }
        : { kind: 'ok' },
  })
  t = await startGateway(
    `channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
`,
    { dispatcher: true },
  )
})
afterAll(async () => {
  await t.close()
  await relay.close()
})

async function sendTo(address: string): Promise<string> {
  const r = await t.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: { to: { channel: 'sms', address }, text: 'Your parcel is on its way' },
  })
  expect(r.status).toBe(202)
  return r.body.id as string
}

const statusOf = async (id: string) =>
  (await t.call('GET', `/v1/messages/${id}`)).body.status as string

/** A gateway that did some work: one message sent, one failed, one inbound stored. */
async function doSomeWork(): Promise<string> {
  const sent = await sendTo('+491701234567')
  const failed = await sendTo('+491709999999')
  await expect.poll(() => statusOf(sent), { timeout: 5000 }).toBe('sent')
  await expect.poll(() => statusOf(failed), { timeout: 5000 }).toBe('failed')
  const raw = JSON.stringify({ id: 'in-1', from: { address: '+491701234567' }, text: 'Thanks!' })
  const inbound = await t.call('POST', '/v1/channels/sms/inbound', {
    key: null,
    raw,
    headers: {
      'content-type': 'application/json',
      'x-omnigate-signature': sign('relay-secret', raw),
    },
  })
  expect(inbound.status).toBe(200)
  const r = await t.call('GET', '/metrics', { key: null })
  expect(r.status).toBe(200)
  return r.text
}

describe('GET /metrics', () => {
  it('passes `promtool check metrics` after sends, a failure and an inbound message', async (ctx) => {
    if (!promtoolFound && !onCi) {
      ctx.skip(
        `promtool not found (${PROMTOOL}): install Debian's prometheus package to run this check`,
      )
    }
    if (!promtoolFound) {
      throw new Error(
        `CI is set but promtool (${PROMTOOL}) is not installed: .ci/run must install it ` +
          `(apt-get install --no-install-recommends prometheus)`,
      )
    }
    const text = await doSomeWork()
    // The work shows in the text promtool checks (with the labels it varies by).
    expect(text).toContain('omnigate_messages_sent_total{channel="sms"} 1')
    expect(text).toContain('omnigate_messages_failed_total{channel="sms",code="http_404"} 1')
    expect(text).toContain('omnigate_messages_inbound_total{channel="sms"} 1')
    expect(text).toMatch(/^omnigate_dispatch_latency_seconds_count\{channel="sms"\} 1$/m)
    expect(text).toMatch(/^omnigate_process_cpu_seconds_total \d/m)
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect({ status: check.status, out: `${check.stdout}${check.stderr}` }).toEqual({
      status: 0,
      out: '',
    })
  })
})

describe('docs/api.md, Metrics', () => {
  interface Row {
    type: string
    labels: string[]
  }

  /** `| `name` | type | `a`, `b` | meaning |` rows of the section's tables. */
  function documented(): Map<string, Row> {
    const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8')
    const start = doc.indexOf('\n## Metrics\n')
    expect(start, 'docs/api.md has a "## Metrics" section').toBeGreaterThan(0)
    const section = doc.slice(start + 1, doc.indexOf('\n## ', start + 1))
    const rows = new Map<string, Row>()
    for (const m of section.matchAll(/^\| `(\w+)` \| (\w+) \| ([^|]*) \|/gm)) {
      const labels = [...(m[3] ?? '').matchAll(/`(\w+)`/g)].map((l) => l[1] ?? '')
      rows.set(m[1] ?? '', { type: m[2] ?? '', labels })
    }
    return rows
  }

  function exposed(): Map<string, Row> {
    // As the daemon builds it: with the health board, whose loops the per-loop metrics report.
    const { registry } = createMetrics({
      outboxDepth: () => Promise.resolve(0),
      webhookDepth: () => Promise.resolve(0),
      webchatStreams: () => 0,
      health: new Health(),
      cluster: { daemonId: 'gw-a', leader: () => true, owned: () => [] },
    })
    const rows = new Map<string, Row>()
    for (const metric of registry.getMetricsAsArray()) {
      // Every prom-client metric keeps its label names (not in the MetricObject type).
      const labels = (metric as { labelNames?: string[] }).labelNames ?? []
      rows.set(metric.name, { type: String(metric.type), labels: [...labels] })
    }
    return rows
  }

  it('lists every metric the registry exposes, with its type and labels, and no other', () => {
    const docs = documented()
    const real = exposed()
    // prom-client reads these from /proc: the table marks them "(Linux only)".
    if (process.platform !== 'linux') {
      for (const [name] of docs)
        if (/^omnigate_process_(virtual|heap|open|max)_/.test(name)) docs.delete(name)
    }
    expect(
      [...real.keys()].filter((n) => !docs.has(n)),
      'exposed, not in docs/api.md',
    ).toEqual([])
    expect(
      [...docs.keys()].filter((n) => !real.has(n)),
      'in docs/api.md, not exposed',
    ).toEqual([])
    for (const [name, row] of real) expect(docs.get(name), name).toEqual(row)
  })
})
