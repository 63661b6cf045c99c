/**
 * Who does what among several daemons, on `/metrics` (DESIGN §10): the daemon id as an info
 * metric, whether this daemon leads the scheduler, and which stateful channels it runs. Read at
 * each scrape; on SQLite the daemon leads and owns every stateful channel.
 */
import { Gauge, type Registry } from 'prom-client'

/** What the cluster gauges read at a scrape. */
export interface ClusterGauges {
  daemonId: string
  leader(): boolean
  /** Each stateful channel, and whether this daemon runs it. */
  owned(): { channel: string; owned: boolean }[]
}

export function registerClusterMetrics(registry: Registry, c: ClusterGauges): void {
  new Gauge({
    name: 'omnigate_daemon_info',
    help: 'Always 1; the daemon_id label names this daemon (owner in GET /v1/channels)',
    labelNames: ['daemon_id'],
    registers: [registry],
    collect() {
      this.set({ daemon_id: c.daemonId }, 1)
    },
  })
  new Gauge({
    name: 'omnigate_scheduler_leader',
    help: '1 when this daemon runs the scheduler (snooze waker, bulk runner), else 0',
    registers: [registry],
    collect() {
      this.set(c.leader() ? 1 : 0)
    },
  })
  new Gauge({
    name: 'omnigate_channel_owned',
    help: 'Stateful channels: 1 when this daemon runs the connector and sends its jobs, else 0',
    labelNames: ['channel'],
    registers: [registry],
    collect() {
      this.reset() // a channel removed on reload leaves the list
      for (const o of c.owned()) this.set({ channel: o.channel }, o.owned ? 1 : 0)
    },
  })
}
