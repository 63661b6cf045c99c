/**
 * Prometheus metrics (`GET /metrics`): accepted/sent/failed by channel, outbox depth, dispatch
 * latency. One registry per daemon (not prom-client's global one) so in-process tests can run several.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Health } from './health/index.js'
import { registerClusterMetrics, type ClusterGauges } from './cluster/metrics.js'

export interface Metrics {
  registry: Registry
  accepted: Counter<'channel'>
  sent: Counter<'channel'>
  failed: Counter<'channel' | 'code'>
  retried: Counter<'channel' | 'kind'>
  inbound: Counter<'channel'>
  undelivered: Counter<'channel'>
  dispatchLatency: Histogram<'channel'>
  /** Rows that could not be read and were taken out of the work (message, bulk, webhook_delivery). */
  corrupt: Counter<'kind'>
  /** Store faults the daemon could not ride out (answered 503, or a write put off): busy, full, io. */
  storeErrors: Counter<'kind'>
  /** Automations that acted on a trigger (DESIGN §14). */
  automationFired: Counter<'automation'>
  /** Automation sends refused (or failing), by the refusal code; never retried. */
  automationSkipped: Counter<'automation' | 'code'>
}

/** Prefix of prom-client's default process and Node.js metrics (`omnigate_process_cpu_…`). */
const DEFAULT_METRICS_PREFIX = 'omnigate_'

const SUMMED_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]

export function createMetrics(gauges: {
  outboxDepth: () => Promise<number>
  webhookDepth: () => Promise<number>
  /** Web chat widgets connected to this daemon (their live streams). */
  webchatStreams: () => number
  /** Loops and readiness (`/readyz`'s source), read at each scrape. */
  health?: Pick<Health, 'loops' | 'ready'>
  /** The daemon id, the scheduler's leadership and the stateful channels' owners (DESIGN §10). */
  cluster?: ClusterGauges
}): Metrics {
  const registry = new Registry()
  // prom-client's names already say `process_` / `nodejs_`: the prefix only namespaces them.
  collectDefaultMetrics({ register: registry, prefix: DEFAULT_METRICS_PREFIX })
  // These three are gauges named `_total`, which Prometheus reserves for counters (`promtool check
  // metrics` fails on them); each is the sum of its by-`type` gauge (`nodejs_active_handles` …).
  for (const name of SUMMED_GAUGES) registry.removeSingleMetric(DEFAULT_METRICS_PREFIX + name)
  const m: Metrics = {
    registry,
    accepted: new Counter({
      name: 'omnigate_messages_accepted_total',
      help: 'Outbound messages accepted (202)',
      labelNames: ['channel'],
      registers: [registry],
    }),
    sent: new Counter({
      name: 'omnigate_messages_sent_total',
      help: 'Outbound messages the platform accepted',
      labelNames: ['channel'],
      registers: [registry],
    }),
    failed: new Counter({
      name: 'omnigate_messages_failed_total',
      help: 'Outbound messages failed for good',
      labelNames: ['channel', 'code'],
      registers: [registry],
    }),
    retried: new Counter({
      name: 'omnigate_send_retries_total',
      help: 'Send attempts that will be retried',
      labelNames: ['channel', 'kind'],
      registers: [registry],
    }),
    inbound: new Counter({
      name: 'omnigate_messages_inbound_total',
      help: 'Inbound messages stored',
      labelNames: ['channel'],
      registers: [registry],
    }),
    undelivered: new Counter({
      name: 'omnigate_messages_undelivered_total',
      help: 'Sent messages with no delivery ack in time',
      labelNames: ['channel'],
      registers: [registry],
    }),
    dispatchLatency: new Histogram({
      name: 'omnigate_dispatch_latency_seconds',
      help: 'From accept to the platform accepting the message',
      labelNames: ['channel'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    corrupt: new Counter({
      name: 'omnigate_corrupt_records_total',
      help: 'Stored rows that could not be read, taken out of the work (failed or dropped)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: 'omnigate_store_errors_total',
      help: 'Store faults answered 503 or putting a write off, by kind (busy, full, io)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    automationFired: new Counter({
      name: 'omnigate_automation_fired_total',
      help: 'Automations that acted on a trigger (sent, tagged or assigned)',
      labelNames: ['automation'],
      registers: [registry],
    }),
    automationSkipped: new Counter({
      name: 'omnigate_automation_skipped_total',
      help: 'Automation sends refused by the rules (or failing), by code; never retried',
      labelNames: ['automation', 'code'],
      registers: [registry],
    }),
  }
  new Gauge({
    name: 'omnigate_outbox_depth',
    help: 'Jobs waiting in the outbox',
    registers: [registry],
    async collect() {
      this.set(await gauges.outboxDepth())
    },
  })
  new Gauge({
    name: 'omnigate_webhook_outbox_depth',
    help: 'App-webhook deliveries waiting',
    registers: [registry],
    async collect() {
      this.set(await gauges.webhookDepth())
    },
  })
  new Gauge({
    name: 'omnigate_webchat_streams',
    help: 'Web chat widgets connected to this daemon (open live streams)',
    registers: [registry],
    collect() {
      this.set(gauges.webchatStreams())
    },
  })
  const health = gauges.health
  if (health) registerLoopMetrics(registry, health)
  if (gauges.cluster) registerClusterMetrics(registry, gauges.cluster)
  return m
}

/** Per loop, computed at each scrape from the health board; `omnigate_ready` is `/readyz` as 1/0. */
function registerLoopMetrics(registry: Registry, health: Pick<Health, 'loops' | 'ready'>): void {
  new Gauge({
    name: 'omnigate_loop_last_tick_age_seconds',
    help: 'Seconds since each background loop last completed a good tick (30 s or more: unready)',
    labelNames: ['loop'],
    registers: [registry],
    collect() {
      this.reset() // a stopped loop (a removed channel) leaves the list
      for (const l of health.loops()) this.set({ loop: l.name }, l.lastGoodTickAgeSeconds)
    },
  })
  new Counter({
    name: 'omnigate_loop_errors_total',
    help: 'Ticks of each background loop that failed (logged, backed off, the loop went on)',
    labelNames: ['loop'],
    registers: [registry],
    collect() {
      this.reset()
      for (const l of health.loops()) this.inc({ loop: l.name }, l.errors)
    },
  })
  new Gauge({
    name: 'omnigate_ready',
    help: '1 when /readyz answers 200, else 0',
    registers: [registry],
    collect() {
      this.set(health.ready() ? 1 : 0)
    },
  })
}
