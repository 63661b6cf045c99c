/**
 * Faults (DESIGN §9): the relay of a webhook channel answers 20 % of requests with a fault —
 * 429 with `Retry-After: 1`, 503, an answer slower than the channel's timeout (the relay acts on
 * it after the daemon gave up) or a reset after reading the request — while 1 000 messages go
 * out with the real dispatcher (in process). In the end every message is delivered and `sent`;
 * no retry of a message comes before the Retry-After its 429 asked for (checked on the relay's
 * own clock, per message); and no message is marked sent twice: its status history has one
 * `sent`, and the app webhook sees one `message.status: sent` event per message.
 */
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  faultyAnswers,
  startWebhookReceiver,
  type ReceivedRequest,
  type ReceiverAnswer,
  type WebhookReceiver,
} from '../fakes/webhook-receiver.js'
import { KEYS, startLoggedGateway, type LoggedGateway } from './helpers/gateway.js'
import { findSecretsInLogs, logDir, registerSecrets } from './helpers/logs.js'

const MESSAGES = 1000
const RETRY_AFTER_S = 1
const SEED = Number(process.env.FAULTS_SEED ?? Date.now() % 100_000)
const RELAY_SECRET = `faults-relay-${randomBytes(12).toString('hex')}`
const EVENTS_SECRET = `faults-events-${randomBytes(12).toString('hex')}`

let relay: WebhookReceiver
let events: WebhookReceiver
let t: LoggedGateway
const answers = new Map<ReceivedRequest, ReceiverAnswer>()

beforeAll(async () => {
  registerSecrets('faults', [RELAY_SECRET, EVENTS_SECRET, ...Object.values(KEYS)])
  const faulty = faultyAnswers({
    rate: 0.2,
    seed: SEED,
    retryAfterSeconds: RETRY_AFTER_S,
    // Longer than the channel's 2 s timeout below: the daemon sees a timeout, the relay acts on
    // it later. Not shorter timeouts: at 400 ms with 64 sends in flight, some requests reached
    // the relay only after the daemon had given up on them, so the 429 they got was never seen
    // and the retry looked early (docs/benchmarks.md, "What the harnesses found").
    slowMs: 3000,
  })
  relay = await startWebhookReceiver({
    secret: RELAY_SECRET,
    answer: (req) => {
      const a = faulty(req)
      answers.set(req, a)
      return a
    },
  })
  events = await startWebhookReceiver({ secret: EVENTS_SECRET })
  t = await startLoggedGateway(
    `server:
  rate_limit: { per_second: 100000, burst: 100000 }
dispatcher:
  backoff_base: 50ms
  backoff_max: 400ms
  max_attempts: 100
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: ${RELAY_SECRET}
    address: phone
    timeout: 2s
    rules:
      rate: { per_second: 2000, per_recipient_per_second: 100 }
webhooks:
  - url: ${events.url}
    secret: ${EVENTS_SECRET}
    events: [message.status]
`,
    { log: 'faults-gateway', dispatcher: true },
  )
})

afterAll(async () => {
  await t?.close()
  await relay?.close()
  await events?.close()
})

function answerText(a: ReceiverAnswer | undefined): string {
  if (!a) return '?'
  if (a.kind === 'status') return String(a.status)
  if (a.kind === 'slow') return `slow ${a.delayMs}ms`
  return a.kind
}

function sentEventsByMessage(): Map<string, Set<string>> {
  const by = new Map<string, Set<string>>()
  for (const r of events.received) {
    const e = r.json as { id: string; type: string; data: { message_id: string; status: string } }
    if (e?.type !== 'message.status' || e.data.status !== 'sent') continue
    const set = by.get(e.data.message_id) ?? new Set<string>()
    set.add(e.id) // an event delivered twice keeps its id: receivers dedupe by it
    by.set(e.data.message_id, set)
  }
  return by
}

describe('faults: 429 with Retry-After, 5xx, timeouts and resets at the relay', () => {
  it(`delivers all ${MESSAGES}, honours Retry-After, marks none sent twice (seed ${SEED})`, async () => {
    const ids: string[] = []
    for (let start = 0; start < MESSAGES; start += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, MESSAGES - start) }, (_, j) =>
          t.call('POST', '/v1/messages', {
            body: {
              to: { channel: 'sms', address: `+4917099${String(start + j).padStart(5, '0')}` },
              text: `faults ${start + j}`,
            },
          }),
        ),
      )
      for (const r of batch) {
        expect(r.status).toBe(202)
        ids.push(r.body.id as string)
      }
    }

    const db = new Database(t.db, { readonly: true })
    const sentCount = () =>
      (
        db.prepare(`SELECT count(*) AS n FROM messages WHERE status = 'sent'`).get() as {
          n: number
        }
      ).n
    await expect.poll(sentCount, { timeout: 90_000, interval: 200 }).toBe(MESSAGES)
    const flagged = db.prepare('SELECT count(*) AS n FROM messages WHERE possible_duplicate = 1')
    expect(flagged.get()).toEqual({ n: 0 }) // the relay takes our Idempotency-Key
    db.close()

    // The faults happened, each kind of them (else this test proves nothing).
    const kinds = { '429': 0, '503': 0, slow: 0, reset: 0 }
    for (const a of answers.values()) {
      if (a.kind === 'status') kinds[a.status === 429 ? '429' : '503']++
      else if (a.kind === 'slow' || a.kind === 'reset') kinds[a.kind]++
    }
    expect(
      Object.values(kinds).every((n) => n > 0),
      JSON.stringify(kinds),
    ).toBe(true)

    // Every message reached the relay; no retry came before its 429's Retry-After.
    for (const id of ids) expect(relay.acceptedByKey.get(id) ?? 0, id).toBeGreaterThanOrEqual(1)
    expect(relay.badSignatures()).toBe(0)
    const byKey = new Map<string, ReceivedRequest[]>()
    for (const r of relay.received) {
      const list = byKey.get(r.idempotencyKey ?? '') ?? []
      list.push(r)
      byKey.set(r.idempotencyKey ?? '', list)
    }
    const early: string[] = []
    for (const [key, list] of byKey) {
      list.sort((a, b) => a.at - b.at)
      list.forEach((r, i) => {
        const a = answers.get(r)
        const next = list[i + 1]
        if (a?.kind === 'status' && a.status === 429 && next) {
          const waited = next.at - r.at
          if (waited < RETRY_AFTER_S * 1000) {
            const story = list.map(
              (x) => `+${x.at - (list[0]?.at ?? 0)}ms ${answerText(answers.get(x))}`,
            )
            const first = new Date(list[0]?.at ?? 0).toISOString()
            early.push(
              `${key}: retried ${waited} ms after a 429 (${story.join(', ')}; from ${first})`,
            )
          }
        }
      })
    }
    expect(early).toEqual([])

    // Marked sent once: one `sent` in each status history, one sent event per message.
    for (const id of ids) {
      const m = await t.call('GET', `/v1/messages/${id}`)
      const sent = (m.body.status_history as { status: string }[]).filter(
        (h) => h.status === 'sent',
      )
      expect([id, sent.length]).toEqual([id, 1])
    }
    await events.waitFor(() => sentEventsByMessage().size === MESSAGES, 60_000)
    const twice = [...sentEventsByMessage()].filter(([, evs]) => evs.size !== 1)
    expect(twice).toEqual([])
    console.info(
      `faults (seed ${SEED}): ${relay.total()} relay requests for ${MESSAGES} messages; ` +
        `faults ${JSON.stringify(kinds)}; ${relay.duplicates().length} ids the relay acted on twice`,
    )
  })

  it('wrote no configured secret into its logs', () => {
    expect(findSecretsInLogs(logDir(), [RELAY_SECRET, EVENTS_SECRET])).toEqual([])
  })
})
