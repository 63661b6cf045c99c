/**
 * Several daemons on one PostgreSQL (DESIGN §10), as in-process gateways sharing one database:
 * exactly one runs the scheduler (a bulk made through a follower is finished by the leader, a
 * snooze wakes after the leader is gone); a stateful channel runs in exactly one gateway, only
 * that one sends its jobs, and every gateway names the same `owner`; the lock moves on when its
 * holder stops or its lock connection is cut (what PostgreSQL sees of a kill -9). On SQLite (and
 * for one gateway on either) the daemon leads and owns everything, and `owner` says so.
 *
 * The stateful channel is a webhook channel whose connector declares `stateful` (the factory
 * wraps the real one), so it sends through the real code to a local relay and records who sent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createConnector, type Connector } from '../../src/connectors/index.js'
import type { GatewayOptions } from '../../src/gateway/gateway.js'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { KEYS, startGateway, type TestGateway } from '../helpers/harness.js'
import {
  createTestDatabase,
  dropTestDatabase,
  onServer,
  testStoreDialect,
  uniqueDatabaseName,
} from '../helpers/postgres.js'

/** How long a take-over may take before the test gives up (the retry beat is 2 s). */
const HANDOVER_DEADLINE_MS = 15_000

let relay: WebhookReceiver
let gws: TestGateway[] = []
/** Which daemon started the stateful connector, and which sent each of its messages. */
let starts: string[] = []
let sentBy = new Map<string, string>()

const config = (): string => `server:
  public_url: http://127.0.0.1:9
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
  sticky:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
`

/** The real factory; the `sticky` channel's connector declares a session one daemon runs. */
function factory(daemon: string): GatewayOptions['connectorFactory'] {
  return async (deps, settings) => {
    const real = await createConnector(deps, settings)
    if (deps.name !== 'sticky') return real
    const c: Connector = {
      name: real.name,
      type: real.type,
      limits: real.limits,
      capabilities: { ...real.capabilities, stateful: true },
      start: async (ctx) => {
        starts.push(daemon)
        await real.start(ctx)
      },
      send: async (out) => {
        sentBy.set(out.messageId, daemon)
        return real.send(out)
      },
      stop: () => real.stop(),
    }
    return c
  }
}

beforeEach(async () => {
  relay = await startWebhookReceiver({ secret: 'relay-secret' })
  starts = []
  sentBy = new Map()
})
afterEach(async () => {
  for (const g of gws) await g.close()
  gws = []
  await relay.close()
})

const leaders = (): TestGateway[] => gws.filter((g) => g.gw.scheduler.leader)
const running = (): TestGateway[] => gws.filter((g) => !g.gw.svc.stopping())

async function send(g: TestGateway, channel: string, n: number): Promise<string> {
  const r = await g.call('POST', '/v1/messages', {
    key: KEYS.alice,
    body: { to: { channel, address: `+4917012345${String(n).padStart(2, '0')}` }, text: 'hi' },
  })
  expect(r.status).toBe(202)
  return r.body.id as string
}

const statusOf = async (g: TestGateway, id: string): Promise<string> =>
  (await g.call('GET', `/v1/messages/${id}`)).body.status as string

const channelsOf = async (
  g: TestGateway,
): Promise<Record<string, { state: string; owner: string | null }>> =>
  Object.fromEntries(
    (
      (await g.call('GET', '/v1/channels')).body.items as {
        name: string
        state: string
        owner: string | null
      }[]
    ).map((c) => [c.name, { state: c.state, owner: c.owner }]),
  )

const metric = async (g: TestGateway, line: RegExp): Promise<string | null> => {
  const text = (await g.call('GET', '/metrics', { key: null })).text
  return text.split('\n').find((l) => line.test(l)) ?? null
}

describe('one gateway (either store): it leads and owns, and says so', () => {
  it("names itself as the stateful channel's owner, null for a stateless one, on /metrics too", async () => {
    gws.push(await startGateway(config(), { daemonId: 'solo', connectorFactory: factory('solo') }))
    const [g] = gws as [TestGateway]
    await expect
      .poll(async () => (await channelsOf(g)).sticky, { timeout: HANDOVER_DEADLINE_MS })
      .toEqual({ state: 'connected', owner: 'solo' })
    expect((await channelsOf(g)).sms).toEqual({ state: 'connected', owner: null })
    expect(g.gw.scheduler.leader).toBe(true)
    expect(await metric(g, /^omnigate_scheduler_leader /)).toBe('omnigate_scheduler_leader 1')
    expect(await metric(g, /^omnigate_daemon_info/)).toBe(
      'omnigate_daemon_info{daemon_id="solo"} 1',
    )
    expect(await metric(g, /^omnigate_channel_owned/)).toBe(
      'omnigate_channel_owned{channel="sticky"} 1',
    )
    expect(starts).toEqual(['solo'])
  })
})

describe.runIf(testStoreDialect() === 'postgres')('several gateways on one PostgreSQL', () => {
  let db = ''
  let url = ''
  beforeEach(async () => {
    db = uniqueDatabaseName('cluster')
    url = await createTestDatabase(db)
  })
  afterEach(async () => {
    for (const g of gws) await g.close()
    gws = []
    await dropTestDatabase(db)
  })

  const start = async (id: string): Promise<TestGateway> => {
    const g = await startGateway(config(), {
      postgresUrl: url,
      daemonId: id,
      dispatcher: true,
      connectorFactory: factory(id),
    })
    gws.push(g)
    return g
  }

  it('runs the scheduler in exactly one; a bulk made on a follower finishes; a stop hands over', async () => {
    for (const id of ['gw-a', 'gw-b', 'gw-c']) await start(id)
    await expect.poll(() => leaders().length, { timeout: HANDOVER_DEADLINE_MS }).toBe(1)
    // Over more than one retry beat, never two.
    for (let i = 0; i < 6; i++) {
      expect(leaders()).toHaveLength(1)
      await new Promise((r) => setTimeout(r, 500))
    }
    const leader = leaders()[0] as TestGateway
    const follower = gws.find((g) => g !== leader) as TestGateway
    expect(await metric(leader, /^omnigate_scheduler_leader /)).toBe('omnigate_scheduler_leader 1')
    expect(await metric(follower, /^omnigate_scheduler_leader /)).toBe(
      'omnigate_scheduler_leader 0',
    )

    // The follower enqueues the first chunk itself; finishing is the leader's loop's work.
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const r = await follower.call('POST', '/v1/contacts', {
        body: { first_name: `P${i}`, phone: `+4917099900${i}` },
      })
      ids.push(r.body.id as string)
    }
    const b = await follower.call('POST', '/v1/bulk', {
      key: KEYS.alice,
      body: { contact_ids: ids, channel: 'sms', text: 'Hello {{first_name}}' },
    })
    expect(b.status).toBe(202)
    await expect
      .poll(
        async () => (await follower.call('GET', `/v1/bulk/${b.body.id as string}`)).body.status,
        {
          timeout: HANDOVER_DEADLINE_MS,
        },
      )
      .toBe('done')

    // The leader stops: another takes over, and its snooze waker wakes a thread.
    const stoppedAt = Date.now()
    await leader.stop()
    await expect.poll(() => leaders().length, { timeout: HANDOVER_DEADLINE_MS }).toBe(1)
    console.info(`scheduler hand-over after a stop: ${Date.now() - stoppedAt} ms`)
    const next = leaders()[0] as TestGateway
    expect(next).not.toBe(leader)
    const other = running().find((g) => g !== next) as TestGateway
    const ct = (await other.call('POST', '/v1/contacts', { body: { first_name: 'Snoozy' } })).body
      .id as string
    const th = (
      await other.call('POST', '/v1/threads', { body: { contact_id: ct, channel: 'sms' } })
    ).body.id as string
    const until = new Date(Date.now() + 1000).toISOString()
    const s = await other.call('POST', `/v1/threads/${th}/snooze`, { body: { until } })
    expect(s.body.status).toBe('snoozed')
    await expect
      .poll(async () => (await other.call('GET', `/v1/threads/${th}`)).body.status, {
        timeout: HANDOVER_DEADLINE_MS,
      })
      .toBe('open')
  })

  it("stops the leader's work the moment its lock connection is cut, and one leads again", async () => {
    for (const id of ['gw-a', 'gw-b']) await start(id)
    await expect.poll(() => leaders().length, { timeout: HANDOVER_DEADLINE_MS }).toBe(1)
    const leader = leaders()[0] as TestGateway
    const leaderId = leader.gw.cluster.daemonId
    const cutAt = Date.now()
    // What PostgreSQL sees of a kill -9: the session ends, its advisory locks are freed.
    const cut = await onServer(url, (c) =>
      c.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = $1 AND datname = current_database()`,
        [leaderId],
      ),
    )
    expect(cut.rowCount).toBe(1)
    await expect.poll(() => leader.gw.scheduler.leader, { timeout: 5_000 }).toBe(false)
    await expect.poll(() => leaders().length, { timeout: HANDOVER_DEADLINE_MS }).toBe(1)
    console.info(
      `scheduler led again ${Date.now() - cutAt} ms after the lock connection was cut ` +
        `(by ${leaders()[0]?.gw.cluster.daemonId ?? '?'})`,
    )
  })

  it('runs a stateful channel in exactly one; only it sends that channel; all name it owner', async () => {
    for (const id of ['gw-a', 'gw-b', 'gw-c']) await start(id)
    await expect.poll(() => starts.length, { timeout: HANDOVER_DEADLINE_MS }).toBe(1)
    const owner = starts[0] as string
    for (const g of gws) {
      await expect
        .poll(async () => (await channelsOf(g)).sticky, { timeout: HANDOVER_DEADLINE_MS })
        .toEqual({ state: g.gw.cluster.daemonId === owner ? 'connected' : 'standby', owner })
      expect((await channelsOf(g)).sms?.owner).toBeNull()
      const owned = g.gw.cluster.daemonId === owner ? 1 : 0
      expect(await metric(g, /^omnigate_channel_owned/)).toBe(
        `omnigate_channel_owned{channel="sticky"} ${owned}`,
      )
    }

    // Sent through every gateway: the stateful channel's jobs go out from its owner alone.
    const sticky: string[] = []
    const plain: string[] = []
    for (let i = 0; i < 9; i++) {
      const g = gws[i % gws.length] as TestGateway
      sticky.push(await send(g, 'sticky', i))
      plain.push(await send(g, 'sms', i))
    }
    for (const id of [...sticky, ...plain]) {
      await expect.poll(() => statusOf(gws[0] as TestGateway, id), { timeout: 10_000 }).toBe('sent')
    }
    expect(new Set(sticky.map((id) => sentBy.get(id)))).toEqual(new Set([owner]))

    // The owner stops: another gateway starts the channel and sends what comes next.
    const stoppedAt = Date.now()
    await (gws.find((g) => g.gw.cluster.daemonId === owner) as TestGateway).stop()
    await expect.poll(() => starts.length, { timeout: HANDOVER_DEADLINE_MS }).toBe(2)
    console.info(`stateful channel hand-over after a stop: ${Date.now() - stoppedAt} ms`)
    const next = starts[1] as string
    expect(next).not.toBe(owner)
    for (const g of running()) {
      await expect
        .poll(async () => (await channelsOf(g)).sticky?.owner, { timeout: HANDOVER_DEADLINE_MS })
        .toBe(next)
    }
    const later = await send(running()[0] as TestGateway, 'sticky', 42)
    await expect
      .poll(() => statusOf(running()[0] as TestGateway, later), { timeout: 10_000 })
      .toBe('sent')
    expect(sentBy.get(later)).toBe(next)
  })
})
