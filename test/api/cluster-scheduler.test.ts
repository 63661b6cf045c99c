/**
 * The scheduler singleton with several daemons on one PostgreSQL (DESIGN §10), as in-process
 * gateways sharing a database: exactly one runs the snooze waker and the bulk runner (a bulk made
 * through a follower is finished by the leader, a snooze wakes after the leader is gone), and the
 * lock moves on when its holder stops or its lock connection is cut (what PostgreSQL sees of a
 * kill -9). One gateway (either store) leads and owns everything, and says so.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ClusterRig, HANDOVER_DEADLINE_MS, channelsOf, metric } from '../helpers/cluster-rig.js'
import { KEYS, type TestGateway } from '../helpers/harness.js'
import { onServer, testStoreDialect } from '../helpers/postgres.js'

let rig: ClusterRig
beforeEach(async () => {
  rig = await ClusterRig.open()
})
afterEach(() => rig.close())

describe('one gateway (either store): it leads and owns, and says so', () => {
  it("names itself as the stateful channel's owner, null for a stateless one, on /metrics too", async () => {
    await rig.start('solo')
    const [g] = rig.gws as [TestGateway]
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
    expect(rig.startsOf('sticky')).toEqual(['solo'])
  })
})

describe.runIf(testStoreDialect() === 'postgres')('several gateways on one PostgreSQL', () => {
  beforeEach(() => rig.shareDatabase())

  it('runs the scheduler in exactly one; a bulk made on a follower finishes; a stop hands over', async () => {
    for (const id of ['gw-a', 'gw-b', 'gw-c']) await rig.start(id)
    await expect.poll(() => rig.leaders().length, { timeout: HANDOVER_DEADLINE_MS }).toBe(1)
    // Over more than one retry beat, never two.
    for (let i = 0; i < 5; i++) {
      expect(rig.leaders()).toHaveLength(1)
      await new Promise((r) => setTimeout(r, 500))
    }
    const leader = rig.leaders()[0] as TestGateway
    const follower = rig.gws.find((g) => g !== leader) as TestGateway
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
    await expect.poll(() => rig.leaders().length, { timeout: HANDOVER_DEADLINE_MS }).toBe(1)
    console.info(`scheduler hand-over after a stop: ${Date.now() - stoppedAt} ms`)
    const next = rig.leaders()[0] as TestGateway
    expect(next).not.toBe(leader)
    const other = rig.running().find((g) => g !== next) as TestGateway
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
    for (const id of ['gw-a', 'gw-b']) await rig.start(id)
    await expect.poll(() => rig.leaders().length, { timeout: HANDOVER_DEADLINE_MS }).toBe(1)
    const leader = rig.leaders()[0] as TestGateway
    const leaderId = leader.gw.cluster.daemonId
    const term = leader.gw.scheduler.terms
    const cutAt = Date.now()
    // What PostgreSQL sees of a kill -9: the session ends, its advisory locks are freed.
    const cut = await onServer(rig.url, (c) =>
      c.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = $1 AND datname = current_database()`,
        [leaderId],
      ),
    )
    expect(cut.rowCount).toBe(1)
    // Its work stopped: it leads no more, or — the lock was free at once, and its own next try
    // may take it before the other's — it leads in a new term, its loops built afresh. (Polling
    // `leader` alone for false missed that short gap on a busy machine.)
    await expect
      .poll(() => !leader.gw.scheduler.leader || leader.gw.scheduler.terms > term, {
        timeout: 5_000,
      })
      .toBe(true)
    await expect.poll(() => rig.leaders().length, { timeout: HANDOVER_DEADLINE_MS }).toBe(1)
    console.info(
      `scheduler led again ${Date.now() - cutAt} ms after the lock connection was cut ` +
        `(by ${rig.leaders()[0]?.gw.cluster.daemonId ?? '?'})`,
    )
  })
})
