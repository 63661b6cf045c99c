/**
 * A fake relay for webhook channels and app webhooks: a real HTTP server on 127.0.0.1 (random
 * port) that records what it receives, checks both signature forms — `X-Omnigate-Signature` and
 * the Standard Webhooks headers, timestamp within 5 minutes — with its own HMAC code (not ours: a
 * bug shared by signer and checker must not pass), and answers as told. (Tests that need the
 * official `standardwebhooks` library's verdict run it on `rawBody` and `headers`: it is too slow
 * to run on every request of a 100 k-message reliability run.)
 *
 * Answers come from `enqueue()`d answers first (one per request, in order), then from the
 * `answer` function (default: 200 `{platform_message_id: "pm_<Idempotency-Key>"}`).
 *
 *   const relay = await startWebhookReceiver({ secret: 's3cret' })
 *   relay.enqueue({ kind: 'status', status: 429, retryAfter: 2 }, { kind: 'reset' })
 *   // point the channel's `url` at relay.url, send …
 *   expect(relay.received[0].signatureValid).toBe(true)
 *   expect(relay.duplicates()).toEqual([])
 *   await relay.close()
 *
 * Used by the connector tests, the daemon smoke tests (`waitFor`) and the reliability harness
 * (`faultyAnswers`, `record: false` for 100 k-message runs, `acceptedByKey` for duplicates).
 */
import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type ReceiverAnswer =
  /** 2xx (default 200) with `{platform_message_id}` (default `pm_<key>`; null: none) or `body`. */
  | { kind: 'ok'; status?: number; platformMessageId?: string | null; body?: string }
  /** Any other status, with an optional `Retry-After` (seconds or an HTTP-date) and body. */
  | { kind: 'status'; status: number; retryAfter?: number | string; body?: string }
  /** Waits `delayMs` after reading the request, then answers `then` (default: ok). */
  | { kind: 'slow'; delayMs: number; then?: ReceiverAnswer }
  /** Reads the whole request, then destroys the socket without a word (a reset after send). */
  | { kind: 'reset' }

export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  rawBody: Buffer
  /** The parsed body; null when it is not JSON. */
  json: unknown
  idempotencyKey: string | null
  /** Whether `X-Omnigate-Signature` matches the raw body (false without a `secret`). */
  signatureValid: boolean
  /**
   * Whether the Standard Webhooks headers match (`webhook-signature` over
   * `<webhook-id>.<webhook-timestamp>.<body>`) with a timestamp within 5 minutes of now (false
   * without a `secret`).
   */
  standardSignatureValid: boolean
  /** The `webhook-id` header (the message or event id), or null. */
  webhookId: string | null
  /** What the receiver did with it (the outer kind for a slow answer: see `outcome`). */
  answer: ReceiverAnswer['kind']
  /**
   * What was finally done: 'ok' (a 2xx was written — also when the client had given up on a slow
   * answer: the relay acted on it), 'status', 'reset', or 'pending' (a slow answer not yet due).
   */
  outcome: 'pending' | 'ok' | 'status' | 'reset'
  at: number
}

export interface WebhookReceiverOptions {
  /** Checks each request's signature with it. */
  secret?: string
  /** Decides answers once the queue is empty. */
  answer?: (req: ReceivedRequest) => ReceiverAnswer
  /** Keep every request in `received` (default true); false keeps only the counters. */
  record?: boolean
  /** Path in `url` (default `/outbound`); the server answers on any path. */
  path?: string
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/outbound`. */
  readonly url: string
  readonly received: ReceivedRequest[]
  /** Every request seen, by `Idempotency-Key`. */
  readonly countByKey: Map<string, number>
  /**
   * Requests answered 2xx, by `Idempotency-Key`: above 1 is a duplicate delivery (a relay that
   * did not dedupe would have acted twice).
   */
  readonly acceptedByKey: Map<string, number>
  /** Requests where either signature form did not match (or was missing). */
  readonly badSignatures: () => number
  /** Total requests seen. */
  readonly total: () => number
  enqueue(...answers: ReceiverAnswer[]): void
  setAnswer(fn: (req: ReceivedRequest) => ReceiverAnswer): void
  /** Keys answered 2xx more than once. */
  duplicates(): string[]
  /**
   * Resolves once `check()` holds (checked after every answer, and on receipt of a request whose
   * answer is slow); rejects after `timeoutMs` (default 5 s).
   */
  waitFor(check: (r: WebhookReceiver) => boolean, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

const okAnswer: ReceiverAnswer = { kind: 'ok' }

function signatureMatches(secret: string | undefined, raw: Buffer, header: unknown): boolean {
  if (!secret || typeof header !== 'string') return false
  const expected = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`
  return header.toLowerCase() === expected
}

// Standard Webhooks' default tolerance, as receivers' libraries apply it.
const TOLERANCE_SECONDS = 5 * 60

function standardSignatureMatches(
  secret: string | undefined,
  raw: Buffer,
  headers: IncomingHttpHeaders,
): boolean {
  const [id, timestamp, signatures] = [
    headers['webhook-id'],
    headers['webhook-timestamp'],
    headers['webhook-signature'],
  ]
  if (!secret || typeof id !== 'string' || typeof signatures !== 'string') return false
  if (typeof timestamp !== 'string' || !/^\d+$/.test(timestamp)) return false
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return false
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'))
  const expected = `v1,${mac.update(`${id}.${timestamp}.`).update(raw).digest('base64')}`
  return signatures.split(' ').includes(expected)
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch {
    return null
  }
}

/** Starts the receiver on 127.0.0.1 and a free port. */
export async function startWebhookReceiver(
  opts: WebhookReceiverOptions = {},
): Promise<WebhookReceiver> {
  const queue: ReceiverAnswer[] = []
  let decide = opts.answer ?? (() => okAnswer)
  const timers = new Set<NodeJS.Timeout>()
  const waiters = new Set<() => void>()
  let total = 0
  let bad = 0

  const wakeAll = () => {
    for (const wake of waiters) wake()
  }
  const bump = (map: Map<string, number>, key: string | null) => {
    if (key !== null) map.set(key, (map.get(key) ?? 0) + 1)
  }

  const respond = (res: ServerResponse, req: ReceivedRequest, a: ReceiverAnswer): void => {
    if (a.kind === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer)
        respond(res, req, a.then ?? okAnswer)
      }, a.delayMs)
      timers.add(timer)
      return
    }
    if (a.kind === 'reset') {
      req.outcome = 'reset'
      res.socket?.destroy()
    } else if (a.kind === 'ok') {
      req.outcome = 'ok'
      bump(receiver.acceptedByKey, req.idempotencyKey)
      const id =
        a.platformMessageId === undefined
          ? `pm_${req.idempotencyKey ?? total}`
          : a.platformMessageId
      const body = a.body ?? (id === null ? '' : JSON.stringify({ platform_message_id: id }))
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json' }).end(body)
    } else {
      req.outcome = 'status'
      const headers: Record<string, string> = { 'content-type': 'text/plain' }
      if (a.retryAfter !== undefined) headers['retry-after'] = String(a.retryAfter)
      res.writeHead(a.status, headers).end(a.body ?? '')
    }
    wakeAll()
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks)
      const key = req.headers['idempotency-key']
      const webhookId = req.headers['webhook-id']
      const got: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody,
        json: parseJson(rawBody),
        idempotencyKey: typeof key === 'string' ? key : null,
        signatureValid: signatureMatches(opts.secret, rawBody, req.headers['x-omnigate-signature']),
        standardSignatureValid: standardSignatureMatches(opts.secret, rawBody, req.headers),
        webhookId: typeof webhookId === 'string' ? webhookId : null,
        answer: 'ok',
        outcome: 'pending',
        at: Date.now(),
      }
      total++
      if (!got.signatureValid || !got.standardSignatureValid) bad++
      bump(receiver.countByKey, got.idempotencyKey)
      const answer = queue.shift() ?? decide(got)
      got.answer = answer.kind
      if (opts.record !== false) receiver.received.push(got)
      respond(res, got, answer)
      if (answer.kind === 'slow') wakeAll() // a test may act while the answer is pending
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${port}${opts.path ?? '/outbound'}`,
    received: [],
    countByKey: new Map(),
    acceptedByKey: new Map(),
    badSignatures: () => bad,
    total: () => total,
    enqueue: (...answers) => void queue.push(...answers),
    setAnswer: (fn) => void (decide = fn),
    duplicates: () => [...receiver.acceptedByKey].filter(([, n]) => n > 1).map(([k]) => k),
    waitFor(check, timeoutMs = 5_000) {
      return new Promise<void>((resolve, reject) => {
        const wake = () => {
          if (!check(receiver)) return
          waiters.delete(wake)
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(() => {
          waiters.delete(wake)
          reject(new Error(`webhook receiver: condition not met within ${timeoutMs} ms`))
        }, timeoutMs)
        waiters.add(wake)
        wake()
      })
    },
    async close() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return receiver
}

/**
 * An answer function for fault runs (DESIGN §9): a `rate` share of requests (default 0.2) get a
 * fault, drawn evenly from `kinds` — 429 with `Retry-After: retryAfterSeconds`, 503, a `slowMs`
 * delay (longer than the client's timeout to act as a timeout), a reset — the rest 200. Seeded,
 * so a failing run can be replayed.
 */
export function faultyAnswers(
  opts: {
    rate?: number
    seed?: number
    kinds?: Array<'429' | '5xx' | 'slow' | 'reset'>
    retryAfterSeconds?: number
    slowMs?: number
  } = {},
): (req: ReceivedRequest) => ReceiverAnswer {
  const rate = opts.rate ?? 0.2
  const kinds = opts.kinds ?? ['429', '5xx', 'slow', 'reset']
  let state = (opts.seed ?? 1) >>> 0
  const random = () => {
    // mulberry32: tiny, seedable, good enough to spread faults
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return () => {
    if (random() >= rate) return okAnswer
    const kind = kinds[Math.floor(random() * kinds.length)] ?? '5xx'
    if (kind === '429') {
      return { kind: 'status', status: 429, retryAfter: opts.retryAfterSeconds ?? 1 }
    }
    if (kind === 'slow') return { kind: 'slow', delayMs: opts.slowMs ?? 2_000 }
    if (kind === 'reset') return { kind: 'reset' }
    return { kind: 'status', status: 503, body: 'overloaded' }
  }
}
