/**
 * Three daemons on one PostgreSQL (DESIGN §10), the outbox: load through all three at once (POST
 * /v1/messages round-robin, each request with its own Idempotency-Key), kill -9 one of them while
 * it has sends in flight, and check what a user of a load-balanced deployment relies on:
 *   - every message that got a 202 reaches the relay, and the database ends with exactly one
 *     message per client request, all `sent`, none flagged a possible duplicate, an empty outbox;
 *   - a request the dead daemon never answered, sent again (same key, same body) to a survivor,
 *     gets the same message: the idempotency keys are shared through the database;
 *   - the sends the dead daemon had in flight are taken over by the survivors, never before their
 *     lease expires (two daemons never hold one job), within the lease plus a few seconds;
 *   - re-sends are bounded: the webhook channel sends our message id as `Idempotency-Key` on
 *     every try, so a re-send is deduplicated by the platform, and there are no more of them than
 *     jobs the dead daemon held (its batch).
 * Runs only on PostgreSQL (`OMNIGATE_TEST_STORE=postgres`): several daemons need a shared store.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  dropTestDatabase,
  testStoreDialect,
  uniqueDatabaseName,
} from '../helpers/postgres.js'
import { api, daemonConfig, logTail, socketPorts, startDaemons, type Daemon } from './daemons.js'
import { startRecordingRelay, type RecordingRelay } from './recording-relay.js'

const DAEMONS = 3
const MESSAGES = 900
const CONTACTS = 30
const CLIENT_CONCURRENCY = 24
/**
 * Short, so the survivors take the dead daemon's jobs over within the test's time; long enough
 * that a job is sent well within its lease on a loaded 2-core CI machine (a lease that runs out
 * mid-send lets another daemon send it too).
 */
const LEASE_MS = 10_000
/** Jobs one daemon leases per round. */
const BATCH = 8
/** As many as a batch: a leased job never waits for a free slot while its lease runs. */
const DISPATCH_CONCURRENCY = 8
/** Takeover deadline after the kill: the lease, plus the survivors' next lease round, plus slack. */
const TAKEOVER_DEADLINE_MS = LEASE_MS + 8_000

const onPostgres = testStoreDialect() === 'postgres'

describe.skipIf(!onPostgres)(
  'three daemons on one PostgreSQL: kill -9 one under load (PostgreSQL only: OMNIGATE_TEST_STORE=postgres)',
  () => {
    let dir: string
    let dbName: string
    let pgUrl: string
    let relay: RecordingRelay
    let daemons: Daemon[] = []

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'omnigate-multi-'))
      dbName = uniqueDatabaseName('multi')
      pgUrl = await createTestDatabase(dbName)
      relay = await startRecordingRelay()
      const config = daemonConfig({
        pgUrl,
        dispatcher: `  concurrency: ${DISPATCH_CONCURRENCY}
  batch: ${BATCH}
  lease: ${LEASE_MS}ms
  backoff_base: 50ms
  backoff_max: 500ms
  send_timeout: 10s
  max_attempts: 1000
`,
        channels: `  sms:
    type: webhook
    url: ${relay.url}
    secret: multi-daemon-relay-secret
    address: phone
    rules:
      rate: { per_second: 100000, per_recipient_per_second: 10000 }
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

    it(`delivers every accepted message once per request after kill -9 of one of ${DAEMONS}`, async () => {
      const t0 = Date.now()
      const accepted = new Map<number, string>()
      const phases: string[] = []
      const phase = (what: string) => phases.push(`${what} ${Date.now() - t0}`)
      const contacts: string[] = []
      for (let i = 0; i < CONTACTS; i++) {
        const d = daemons[i % DAEMONS] as Daemon
        const c = await api(d, 'POST', '/v1/contacts', {
          first_name: `M${i}`,
          identities: [{ channel: 'sms', address: `+4917055${String(i).padStart(5, '0')}` }],
        })
        expect(c.status).toBe(201)
        // A thread per contact up front: concurrent first sends would race to open one (409).
        const t = await api(d, 'POST', '/v1/threads', { contact_id: c.body.id, channel: 'sms' })
        expect(t.status).toBe(201)
        contacts.push(c.body.id as string)
      }

      phase('contacts')
      const victim = daemons[1] as Daemon
      const live = new Set(daemons)
      const unexpected: string[] = []
      let retriedAfterKill = 0
      const todo = Array.from({ length: MESSAGES }, (_, i) => i)
      let turn = 0
      const send = async (n: number, d: Daemon): Promise<'ok' | 'lost'> => {
        const body = { contact_id: contacts[n % CONTACTS], channel: 'sms', text: `multi ${n}` }
        try {
          const r = await api(d, 'POST', '/v1/messages', body, { 'idempotency-key': `req-${n}` })
          const id = r.body.id
          if (r.status !== 202 || typeof id !== 'string') {
            unexpected.push(`${n}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`)
            return 'ok'
          }
          const before = accepted.get(n)
          if (before !== undefined && before !== id) unexpected.push(`${n}: ${before} then ${id}`)
          accepted.set(n, id)
          return 'ok'
        } catch {
          return 'lost' // its daemon died under it: send again, same key, to another one
        }
      }
      const worker = async () => {
        for (let n = todo.shift(); n !== undefined; n = todo.shift()) {
          const d = [...live][turn++ % live.size] as Daemon
          if ((await send(n, d)) === 'lost') {
            retriedAfterKill++
            todo.push(n)
          }
        }
      }

      // The kill: once a third is accepted, hold the relay's answers until the victim has sends
      // in flight (requests from its sockets), then kill -9 it and let the relay answer again.
      let killedAt = 0
      let inFlightAtKill: string[] = []
      let leaseUntil = new Map<string, number>()
      let leasedAtKill = new Set<string>()
      const killer = async () => {
        while (accepted.size < MESSAGES / 3) await new Promise((r) => setTimeout(r, 10))
        relay.hold()
        const fromVictim = (ports: Set<number>) =>
          relay.requests.filter((r) => r.state === 'held' && ports.has(r.port))
        await relay.waitFor(
          () => fromVictim(socketPorts(victim.proc.pid as number)).length > 0,
          10_000,
          'a send from the victim in flight',
        )
        phase('victim in flight')
        const ports = socketPorts(victim.proc.pid as number)
        live.delete(victim)
        killedAt = Date.now()
        await victim.kill()
        // Its sockets close as the kernel tears the process down: wait for the relay to see it.
        await relay.waitFor(
          () => fromVictim(ports).length === 0,
          5_000,
          "the victim's connections closed",
        )
        relay.release()
        inFlightAtKill = relay.requests
          .filter((r) => r.state === 'aborted' && ports.has(r.port))
          .map((r) => r.key as string)
        leaseUntil = await leasesOf(pgUrl, inFlightAtKill)
        leasedAtKill = new Set(
          (
            await query<{ id: string }>(
              pgUrl,
              'SELECT message_id AS id FROM outbox WHERE lease_until > $1',
              [killedAt],
            )
          ).map((r) => r.id),
        )
      }
      await Promise.all([killer(), ...Array.from({ length: CLIENT_CONCURRENCY }, worker)])

      phase('accepted')
      expect(unexpected).toEqual([])
      expect(accepted.size).toBe(MESSAGES)
      const ids = new Set(accepted.values())
      expect(ids.size).toBe(MESSAGES)
      await relay.waitFor(
        () => [...ids].every((id) => relay.deliveredAt.has(id)),
        60_000,
        `every accepted message delivered (${DAEMONS - 1} daemons left)\n${logTail(dir, 0)}`,
      )

      phase('delivered')
      // The dead daemon's in-flight sends: taken over after their lease, not before.
      expect(inFlightAtKill.length).toBeGreaterThan(0)
      const takeover = inFlightAtKill.map((key) => {
        const at = relay.deliveredAt.get(key) as number
        return { key, afterKillMs: at - killedAt, beforeLeaseEnd: (leaseUntil.get(key) ?? 0) - at }
      })
      expect(takeover.filter((t) => !leaseUntil.has(t.key))).toEqual([])
      expect(takeover.filter((t) => t.beforeLeaseEnd > 0)).toEqual([])
      const failoverMs = Math.max(...takeover.map((t) => t.afterKillMs))
      expect(failoverMs).toBeLessThan(TAKEOVER_DEADLINE_MS)

      // Re-sends carry the same Idempotency-Key (the relay dedupes). Only the kill causes them:
      // each is a job leased at the kill, sent again after it (a lease never runs out mid-send).
      const resent = [...relay.acceptedByKey].filter(([, n]) => n > 1).map(([key]) => key)
      const stray = resent.filter(
        (key) =>
          !leasedAtKill.has(key) ||
          relay.requests.filter((r) => r.key === key && r.at < killedAt).length > 1,
      )
      expect(stray).toEqual([])
      expect(relay.requests.filter((r) => r.key === null || !ids.has(r.key))).toEqual([])

      const rows = await query<{ id: string; status: string; dup: boolean }>(
        pgUrl,
        `SELECT id, status, possible_duplicate AS dup FROM messages WHERE direction = 'out'`,
      )
      expect(rows.length).toBe(MESSAGES)
      expect(new Set(rows.map((r) => r.id))).toEqual(ids)
      expect(rows.filter((r) => r.status !== 'sent' || r.dup)).toEqual([])
      const outbox = await query<{ n: string }>(pgUrl, 'SELECT count(*) AS n FROM outbox')
      expect(Number(outbox[0]?.n)).toBe(0)

      console.info(
        `multi-daemon: ${MESSAGES} messages through ${DAEMONS} daemons; ${retriedAfterKill} ` +
          `requests re-sent by the client after the kill; ${inFlightAtKill.length} sends in ` +
          `flight at the kill, all re-sent by the survivors ${Math.min(...takeover.map((t) => t.afterKillMs))}–` +
          `${failoverMs} ms after it (lease ${LEASE_MS} ms); ${resent.length} ids re-sent in all; ` +
          `phases (ms): ${phases.join(', ')}`,
      )
    }, 120_000)
  },
)

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    return (await c.query(sql, params)).rows as T[]
  } finally {
    await c.end()
  }
}

/** The outbox leases (ms since the epoch) of the given messages, as the dead daemon left them. */
async function leasesOf(url: string, messageIds: string[]): Promise<Map<string, number>> {
  const rows = await query<{ id: string; lease: number }>(
    url,
    'SELECT message_id AS id, lease_until AS lease FROM outbox WHERE message_id = ANY($1)',
    [messageIds],
  )
  return new Map(rows.map((r) => [r.id, Number(r.lease)]))
}
