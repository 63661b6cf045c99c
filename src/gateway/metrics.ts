/**
 * Prometheus metrics (`GET /metrics`): accepted/sent/failed by channel, outbox depth, dispatch
 * latency. One registry per daemon (not prom-client's global one) so in-process tests can run several.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface Metrics {
  registry: Registry
  accepted: Counter<'channel'>
  sent: Counter<'channel'>
  failed: Counter<'channel' | 'code'>
  retried: Counter<'channel' | 'kind'>
  inbound: Counter<'channel'>
  undelivered: Counter<'channel'>
  dispatchLatency: Histogram<'channel'>
  /** Store faults the daemon could not ride out (answered 503, or a write put off): busy, full, io. */
  storeErrors: Counter<'kind'>
}

export function createMetrics(gauges: {
  outboxDepth: () => number
  webhookDepth: () => number
}): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'omnigate_process_' })
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
    storeErrors: new Counter({
      name: 'omnigate_store_errors_total',
      help: 'Store faults answered 503 or putting a write off, by kind (busy, full, io)',
      labelNames: ['kind'],
      registers: [registry],
    }),
  }
  new Gauge({
    name: 'omnigate_outbox_depth',
    help: 'Jobs waiting in the outbox',
    registers: [registry],
    collect() {
      this.set(gauges.outboxDepth())
    },
  })
  new Gauge({
    name: 'omnigate_webhook_outbox_depth',
    help: 'App-webhook deliveries waiting',
    registers: [registry],
    collect() {
      this.set(gauges.webhookDepth())
    },
  })
  return m
}
