/**
 * Stateful connectors with several daemons on one PostgreSQL (DESIGN §10): a stateful channel
 * runs in exactly one gateway, only that one sends its jobs, every gateway names the same
 * `owner`, the channel moves on when its owner stops, and a channel added on reload follows the
 * same rule. The stateful channel is a webhook channel whose connector declares `stateful`
 * (test/helpers/cluster-rig.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ClusterRig,
  HANDOVER_DEADLINE_MS,
  channelsOf,
  metric,
  send,
  statusOf,
} from '../helpers/cluster-rig.js'
import type { TestGateway } from '../helpers/harness.js'
import { testStoreDialect } from '../helpers/postgres.js'

let rig: ClusterRig
beforeEach(async () => {
  rig = await ClusterRig.open()
})
afterEach(() => rig.close())

describe.runIf(testStoreDialect() === 'postgres')('stateful channels on one PostgreSQL', () => {
  beforeEach(() => rig.shareDatabase())

  it('runs a stateful channel in exactly one; only it sends that channel; all name it owner', async () => {
    for (const id of ['gw-a', 'gw-b', 'gw-c']) await rig.start(id)
    await expect
      .poll(() => rig.startsOf('sticky').length, { timeout: HANDOVER_DEADLINE_MS })
      .toBe(1)
    const owner = rig.startsOf('sticky')[0] as string
    for (const g of rig.gws) {
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
      const g = rig.gws[i % rig.gws.length] as TestGateway
      sticky.push(await send(g, 'sticky', i))
      plain.push(await send(g, 'sms', i))
    }
    for (const id of [...sticky, ...plain]) {
      await expect
        .poll(() => statusOf(rig.gws[0] as TestGateway, id), { timeout: 10_000 })
        .toBe('sent')
    }
    expect(new Set(sticky.map((id) => rig.sentBy.get(id)))).toEqual(new Set([owner]))

    // The owner stops: another gateway starts the channel and sends what comes next.
    const stoppedAt = Date.now()
    await (rig.gws.find((g) => g.gw.cluster.daemonId === owner) as TestGateway).stop()
    await expect
      .poll(() => rig.startsOf('sticky').length, { timeout: HANDOVER_DEADLINE_MS })
      .toBe(2)
    console.info(`stateful channel hand-over after a stop: ${Date.now() - stoppedAt} ms`)
    const next = rig.startsOf('sticky')[1] as string
    expect(next).not.toBe(owner)
    for (const g of rig.running()) {
      await expect
        .poll(async () => (await channelsOf(g)).sticky?.owner, { timeout: HANDOVER_DEADLINE_MS })
        .toBe(next)
    }
    const later = await send(rig.running()[0] as TestGateway, 'sticky', 42)
    await expect
      .poll(() => statusOf(rig.running()[0] as TestGateway, later), { timeout: 10_000 })
      .toBe('sent')
    expect(rig.sentBy.get(later)).toBe(next)
  })

  it('keeps the rule for a stateful channel added on reload', async () => {
    const [a, b] = [await rig.start('gw-a'), await rig.start('gw-b')]
    await expect
      .poll(() => rig.startsOf('sticky').length, { timeout: HANDOVER_DEADLINE_MS })
      .toBe(1)
    const more = rig.config(['sticky2'])
    for (const g of [a, b]) {
      writeFileSync(g.file, readFileSync(g.file, 'utf8').replace(rig.config(), more))
      expect(await g.gw.svc.reload()).toEqual({ ok: true })
    }
    await expect
      .poll(() => rig.startsOf('sticky2').length, { timeout: HANDOVER_DEADLINE_MS })
      .toBe(1)
    for (const g of [a, b]) {
      await expect
        .poll(async () => (await channelsOf(g)).sticky2?.owner, { timeout: HANDOVER_DEADLINE_MS })
        .toBe(rig.startsOf('sticky2')[0])
    }
    // Held over the reload: the unchanged channel was not restarted anywhere.
    expect(rig.startsOf('sticky')).toHaveLength(1)
  })
})
