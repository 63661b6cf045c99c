/**
 * Crash (DESIGN §9): the real daemon accepts and dispatches 10 000 messages through a webhook
 * channel while it is killed with SIGKILL at three random moments and restarted on the same data.
 * The client sends every message with its own Idempotency-Key and, after a send that got no
 * answer (the daemon died under it), sends it again with the same key and body once the daemon is
 * back — what an API client is told to do.
 *
 * What is asserted, and why:
 *   - every message that got a 202 reaches the relay, and the database ends with exactly one
 *     message per client request, all `sent`, none flagged as a possible duplicate, an empty
 *     outbox, and `PRAGMA integrity_check` = ok (after every kill, and at the end);
 *   - the relay never sees one client request under two message ids: that would be a duplicate
 *     no platform could catch;
 *   - the same message id may reach the relay more than once — a kill after the relay answered
 *     but before `sent` was recorded makes the daemon send it again. The webhook channel sends our
 *     message id as `Idempotency-Key` on every try, so the relay (like any platform with an
 *     idempotency key) delivers it once: a re-send is not a duplicate delivery. It is still
 *     bounded: no more re-sent ids than jobs that can be in flight at the kills
 *     (kills × dispatcher.concurrency).
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'
import { startDaemon, type Daemon } from './helpers/daemon.js'
import { findSecretsInLogs, logDir, registerSecrets } from './helpers/logs.js'
import { prng } from './helpers/random.js'

const MESSAGES = 10_000
const KILLS = 3
const CONTACTS = 200
/** Client requests in flight: enough that accepts share commits and some die with the daemon. */
const CLIENT_CONCURRENCY = 32
/** The config's dispatcher.concurrency: the most sends one daemon can have in flight. */
const DISPATCH_CONCURRENCY = 64
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 100_000)

const KEY = `crash-admin-${randomBytes(12).toString('hex')}`
const RELAY_SECRET = `crash-relay-${randomBytes(12).toString('hex')}`

let dir: string
let relay: WebhookReceiver
let config: string
const logFile = () => join(logDir(), 'crash-daemon.log')
/** Client request number → the message ids the relay saw it under. */
const keysByRequest = new Map<number, Set<string>>()

beforeAll(async () => {
  registerSecrets('crash', [KEY, RELAY_SECRET])
  dir = mkdtempSync(join(tmpdir(), 'omnigate-crash-'))
  const rand = prng(SEED + 1)
  relay = await startWebhookReceiver({
    secret: RELAY_SECRET,
    record: false,
    answer: (req) => {
      const n = Number(/^crash (\d+)$/.exec(String((req.json as { text?: unknown })?.text))?.[1])
      if (req.idempotencyKey !== null && Number.isInteger(n)) {
        const set = keysByRequest.get(n) ?? new Set<string>()
        set.add(req.idempotencyKey)
        keysByRequest.set(n, set)
      }
      // Some answers take a while, so sends are in flight whenever a kill comes.
      return rand() < 0.3 ? { kind: 'slow', delayMs: 5 + Math.floor(rand() * 40) } : { kind: 'ok' }
    },
  })
  config = join(dir, 'gateway.config.yaml')
  writeFileSync(
    config,
    `server:
  listen: 127.0.0.1:0
  rate_limit: { per_second: 100000, burst: 100000 }
auth:
  keys:
    - { id: ops, role: admin, sha256: "${createHash('sha256').update(KEY).digest('hex')}" }
store:
  sqlite: ${join(dir, 'data/omnigate.db')}
dispatcher:
  concurrency: ${DISPATCH_CONCURRENCY}
  lease: 2s
  backoff_base: 50ms
  backoff_max: 500ms
  send_timeout: 5s
  max_attempts: 1000
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: ${RELAY_SECRET}
    address: phone
    rules:
      rate: { per_second: 5000, per_recipient_per_second: 1000 }
`,
  )
})

afterAll(async () => {
  await relay?.close()
  rmSync(dir, { recursive: true, force: true })
})

const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }

async function api(d: Daemon, method: string, path: string, body?: unknown) {
  const res = await fetch(`${d.url}${path}`, {
    method,
    headers: auth,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}

function integrity(): string {
  const db = new Database(join(dir, 'data/omnigate.db'))
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join('\n')
  } finally {
    db.close()
  }
}

describe('crash: kill -9 while accepting and dispatching', () => {
  it(`delivers every accepted message, once per request, after ${KILLS} kills (seed ${SEED})`, async () => {
    const rand = prng(SEED)
    let daemon = await startDaemon({ config, logFile: logFile() })
    const contacts: string[] = []
    for (let i = 0; i < CONTACTS; i++) {
      const phone = `+4917012${String(i).padStart(5, '0')}`
      const c = await api(daemon, 'POST', '/v1/contacts', {
        first_name: `C${i}`,
        identities: [{ channel: 'sms', address: phone }],
      })
      expect(c.status).toBe(201)
      // A thread per contact up front: concurrent first sends would race to open one (409).
      const t = await api(daemon, 'POST', '/v1/threads', { contact_id: c.body.id, channel: 'sms' })
      expect(t.status).toBe(201)
      contacts.push(c.body.id as string)
    }

    const accepted = new Map<number, string>()
    const unexpected: string[] = []
    const todo: number[] = Array.from({ length: MESSAGES }, (_, i) => i)
    let up: Promise<void> = Promise.resolve()
    const killAt = Array.from({ length: KILLS }, (_, k) =>
      Math.floor(MESSAGES * (0.12 + 0.27 * k + rand() * 0.2)),
    )
    const integrityAfterKills: string[] = []

    const send = async (n: number): Promise<'ok' | 'lost'> => {
      const body = { contact_id: contacts[n % CONTACTS], channel: 'sms', text: `crash ${n}` }
      try {
        const res = await fetch(`${daemon.url}/v1/messages`, {
          method: 'POST',
          headers: { ...auth, 'idempotency-key': `req-${n}` },
          body: JSON.stringify(body),
        })
        const json = (await res.json()) as { id?: string }
        if (res.status !== 202 || !json.id) {
          unexpected.push(`${n}: ${res.status} ${JSON.stringify(json).slice(0, 200)}`)
          return 'ok'
        }
        const before = accepted.get(n)
        if (before && before !== json.id) unexpected.push(`${n}: ${before} then ${json.id}`)
        accepted.set(n, json.id)
        return 'ok'
      } catch {
        return 'lost' // the daemon died under it: send again with the same key once it is back
      }
    }
    const worker = async () => {
      while (todo.length > 0) {
        await up
        const n = todo.shift() as number
        if ((await send(n)) === 'lost') todo.push(n)
      }
    }
    const killer = async () => {
      for (const at of killAt) {
        while (accepted.size < at) await new Promise((r) => setTimeout(r, 5))
        let release = () => {}
        up = new Promise<void>((r) => (release = r))
        await daemon.kill()
        integrityAfterKills.push(integrity())
        daemon = await startDaemon({ config, logFile: logFile() })
        release()
      }
    }
    await Promise.all([killer(), ...Array.from({ length: CLIENT_CONCURRENCY }, worker)])

    expect(unexpected).toEqual([])
    expect(accepted.size).toBe(MESSAGES)
    expect(integrityAfterKills).toEqual(Array(KILLS).fill('ok'))
    const ids = new Set(accepted.values())
    await relay.waitFor((r) => [...ids].every((id) => r.acceptedByKey.has(id)), 120_000)
    expect(await daemon.stop()).toBe(0)

    // At the relay: each client request under exactly its one message id; re-sends bounded.
    const split = [...keysByRequest].filter(
      ([n, keys]) => keys.size !== 1 || !keys.has(accepted.get(n) ?? ''),
    )
    expect(split).toEqual([])
    expect(relay.badSignatures()).toBe(0)
    const resent = relay.duplicates()
    expect(resent.length).toBeLessThanOrEqual(KILLS * DISPATCH_CONCURRENCY)
    console.info(
      `crash (seed ${SEED}): kills after ${killAt.join(', ')} accepts; ${resent.length} ids re-sent ` +
        `to the relay (same Idempotency-Key); ${relay.total()} relay requests for ${MESSAGES} messages`,
    )

    // In the database: one message per request, all sent, nothing left over, file intact.
    const db = new Database(join(dir, 'data/omnigate.db'), { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(db.pragma('foreign_key_check')).toEqual([])
      const rows = db
        .prepare(
          `SELECT id, status, possible_duplicate AS dup FROM messages WHERE direction = 'out'`,
        )
        .all() as { id: string; status: string; dup: number }[]
      expect(rows.length).toBe(MESSAGES)
      expect(new Set(rows.map((r) => r.id))).toEqual(ids)
      expect(rows.filter((r) => r.status !== 'sent' || r.dup !== 0)).toEqual([])
      expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 })
    } finally {
      db.close()
    }
  })

  it('wrote no configured secret into its logs', () => {
    expect(findSecretsInLogs(logDir(), [KEY, RELAY_SECRET])).toEqual([])
  })
})
