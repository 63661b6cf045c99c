/**
 * Several in-process gateways on one database (DESIGN §10) for the cluster tests: a webhook
 * relay, two stateless-or-stateful webhook channels (`sms` stateless; `sticky`, and `sticky2` when
 * a test adds it, whose connector declares `stateful` — the real webhook connector wrapped, so it
 * sends through the real code and records which daemon started it and sent each message).
 */
import { createConnector, type Connector } from '../../src/connectors/index.js'
import type { GatewayOptions } from '../../src/gateway/gateway.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from './harness.js'
import { createTestDatabase, dropTestDatabase, uniqueDatabaseName } from './postgres.js'

/** How long a take-over may take before a test gives up (the retry beat is 2 s). */
export const HANDOVER_DEADLINE_MS = 15_000

export interface ChannelSeen {
  state: string
  owner: string | null
}

export class ClusterRig {
  readonly gws: TestGateway[] = []
  /** Daemons that started each stateful channel, in order. */
  readonly starts = new Map<string, string[]>()
  /** Which daemon sent each stateful channel's message. */
  readonly sentBy = new Map<string, string>()
  private db: string | null = null
  /** The shared database's URL (after `shareDatabase()`). */
  url = ''

  private constructor(readonly relay: WebhookReceiver) {}

  static async open(): Promise<ClusterRig> {
    return new ClusterRig(await startWebhookReceiver({ secret: 'relay-secret' }))
  }

  /** One PostgreSQL database for every gateway started after this. */
  async shareDatabase(): Promise<void> {
    this.db = uniqueDatabaseName('cluster')
    this.url = await createTestDatabase(this.db)
  }

  config(extra: string[] = []): string {
    const channel = (name: string): string => `  ${name}:
    type: webhook
    url: ${this.relay.url}
    secret: relay-secret
    address: phone
`
    return `server:
  public_url: http://127.0.0.1:9
channels:
${['sms', 'sticky', ...extra].map(channel).join('')}`
  }

  startsOf(channel: string): string[] {
    return this.starts.get(channel) ?? []
  }

  async start(id: string): Promise<TestGateway> {
    const g = await startGateway(this.config(), {
      ...(this.db ? { postgresUrl: this.url } : {}),
      daemonId: id,
      dispatcher: true,
      connectorFactory: this.factory(id),
    })
    this.gws.push(g)
    return g
  }

  leaders(): TestGateway[] {
    return this.gws.filter((g) => g.gw.scheduler.leader)
  }

  running(): TestGateway[] {
    return this.gws.filter((g) => !g.gw.svc.stopping())
  }

  byId(id: string): TestGateway {
    const g = this.gws.find((x) => x.gw.cluster.daemonId === id)
    if (!g) throw new Error(`no gateway ${id}`)
    return g
  }

  async close(): Promise<void> {
    for (const g of this.gws.splice(0)) await g.close()
    if (this.db) await dropTestDatabase(this.db)
    await this.relay.close()
  }

  /** The real factory; `sticky*` channels' connectors declare a session one daemon runs. */
  private factory(daemon: string): GatewayOptions['connectorFactory'] {
    return async (deps, settings) => {
      const real = await createConnector(deps, settings)
      if (!deps.name.startsWith('sticky')) return real
      const c: Connector = {
        name: real.name,
        type: real.type,
        limits: real.limits,
        capabilities: { ...real.capabilities, stateful: true },
        start: async (ctx) => {
          this.starts.set(deps.name, [...this.startsOf(deps.name), daemon])
          await real.start(ctx)
        },
        send: async (out) => {
          this.sentBy.set(out.messageId, daemon)
          return real.send(out)
        },
        stop: () => real.stop(),
      }
      return c
    }
  }
}

export async function send(g: TestGateway, channel: string, n: number): Promise<string> {
  const r = await g.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: { to: { channel, address: `+4917012345${String(n).padStart(2, '0')}` }, text: 'hi' },
  })
  if (r.status !== 202) throw new Error(`send answered ${r.status}: ${r.text}`)
  return r.body.id as string
}

export const statusOf = async (g: TestGateway, id: string): Promise<string> =>
  (await g.call('GET', `/v1/messages/${id}`)).body.status as string

/** `GET /v1/channels` by name: state and owner. */
export async function channelsOf(g: TestGateway): Promise<Record<string, ChannelSeen>> {
  const items = (await g.call('GET', '/v1/channels')).body.items as ({
    name: string
  } & ChannelSeen)[]
  return Object.fromEntries(items.map((c) => [c.name, { state: c.state, owner: c.owner }]))
}

/** The first `/metrics` line matching `line`, or null. */
export async function metric(g: TestGateway, line: RegExp): Promise<string | null> {
  const text = (await g.call('GET', '/metrics', { key: null })).text
  return text.split('\n').find((l) => line.test(l)) ?? null
}
