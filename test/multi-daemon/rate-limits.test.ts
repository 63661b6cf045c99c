/**
 * Three daemons on one PostgreSQL (DESIGN §10, P6 across daemons): a webhook channel's
 * `per_second` and `per_recipient_per_second` hold at the receiving end for the three real daemon
 * processes together, while sends come in through all three (round-robin) and all three
 * dispatch. The relay stamps arrivals in a process of its own (test/fakes/arrival-recorder.ts).
 * Runs only on PostgreSQL (`OMNIGATE_TEST_STORE=postgres`).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startArrivalRecorder, type ArrivalRecorder } from '../fakes/arrival-recorder.js'
import {
  createTestDatabase,
  dropTestDatabase,
  testStoreDialect,
  uniqueDatabaseName,
} from '../helpers/postgres.js'
import { api, daemonConfig, hasTable, startDaemons, type Daemon } from './daemons.js'

const DAEMONS = 3
const PER_SECOND = 10
const PER_RECIPIENT = 1
/** One person gets this many (HOT s of their limit); the rest go to one recipient each. */
const HOT = 5
const OTHERS = 35

const maxInAnySecond = (times: number[]): number =>
  Math.max(0, ...times.map((s) => times.filter((x) => x >= s && x < s + 1000).length))

describe.skipIf(testStoreDialect() !== 'postgres')(
  'three daemons on one PostgreSQL: shared rate limits (PostgreSQL only: OMNIGATE_TEST_STORE=postgres)',
  () => {
    let dir: string
    let dbName: string
    let relay: ArrivalRecorder
    let daemons: Daemon[] = []
    /** Whether this build shares rate limits through the database (its `rate_slots` table). */
    let shared = false

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'omnigate-multi-rate-'))
      dbName = uniqueDatabaseName('multi_rate')
      const pgUrl = await createTestDatabase(dbName)
      shared = await hasTable(pgUrl, 'rate_slots')
      if (!shared) return
      relay = await startArrivalRecorder()
      // Two jobs a lease: the daemons take turns at the backlog, so all three send at once.
      const config = daemonConfig({
        pgUrl,
        dispatcher: '  batch: 2\n',
        channels: `  sms:
    type: webhook
    url: ${relay.url}
    secret: multi-daemon-relay-secret
    rules:
      rate: { per_second: ${PER_SECOND}, per_recipient_per_second: ${PER_RECIPIENT} }
`,
      })
      daemons = await startDaemons(dir, config, DAEMONS)
    }, 60_000)

    afterAll(async () => {
      await Promise.all(daemons.map((d) => d.kill()))
      await relay?.close()
      if (dbName) await dropTestDatabase(dbName)
      rmSync(dir, { recursive: true, force: true })
    })

    it(`holds ${PER_SECOND}/s and ${PER_RECIPIENT}/s per recipient at the receiver for ${DAEMONS} daemons together`, async (ctx) => {
      if (!shared) ctx.skip('this build paces each daemon alone (no rate_slots table)')
      const addresses = [
        ...Array.from({ length: HOT }, () => 'hot'),
        ...Array.from({ length: OTHERS }, (_, i) => `other-${i}`),
      ]
      const sent = await Promise.all(
        addresses.map(async (address, n) => {
          const d = daemons[n % DAEMONS] as Daemon
          const r = await api(
            d,
            'POST',
            '/v1/messages',
            { to: { channel: 'sms', address }, text: `to ${address}` },
            { 'idempotency-key': `rate-${n}` },
          )
          expect(r.status).toBe(202)
          return r.body.id as string
        }),
      )

      await expect
        .poll(async () => (await relay.arrivals()).length, { timeout: 40_000, interval: 200 })
        .toBeGreaterThanOrEqual(sent.length)
      const got = await relay.arrivals()
      expect(got.map((r) => r.key).sort()).toEqual([...sent].sort())
      expect(maxInAnySecond(got.map((r) => r.at))).toBeLessThanOrEqual(PER_SECOND)
      for (const address of new Set(got.map((r) => r.address))) {
        const times = got.filter((r) => r.address === address).map((r) => r.at)
        expect(maxInAnySecond(times), `to ${address}`).toBeLessThanOrEqual(PER_RECIPIENT)
      }
      // The three shared the sending: a daemon that sent nothing would prove nothing.
      const metrics = await Promise.all(
        daemons.map(async (d) => (await fetch(`${d.url}/metrics`)).text()),
      )
      expect(
        metrics.filter((m) => /omnigate_messages_sent_total\{[^}]*\} [1-9]/.test(m)),
      ).toHaveLength(DAEMONS)
    }, 90_000)
  },
)
