/**
 * A fake Web Push service (RFC 8030) on 127.0.0.1, playing the browser's push service end to end:
 * it hands out subscriptions (a P-256 key pair and a 16-byte auth secret per subscription, as a
 * browser makes), checks each push's VAPID JWT (RFC 8292: ES256 signature by the key in `k`, `aud`
 * = the endpoint's origin, `exp` in the future and at most 24 h away, a mailto:/https: `sub`) and
 * decrypts the aes128gcm body (RFC 8291) with http_ece, so a test reads exactly what the service
 * worker would get. It can be told to answer 404, 410, 429 with Retry-After, 5xx …
 */
import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'

interface HttpEce {
  decrypt(
    buffer: Buffer,
    params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: string },
  ): Buffer
}
// http_ece ships no types; it is CommonJS.
const ece = createRequire(import.meta.url)('http_ece') as HttpEce

export interface FakeSubscriptionJson {
  endpoint: string
  keys: { p256dh: string; auth: string }
}

/** One push that passed the checks and decrypted. */
export interface ReceivedPush {
  /** The decrypted JSON (what `event.data.json()` gives the service worker). */
  payload: unknown
  /** Size of the encrypted body on the wire. */
  bodyBytes: number
  ttl: string | undefined
  urgency: string | undefined
  topic: string | undefined
  vapid: { publicKey: string; aud: string; sub: string; exp: number }
}

/** A canned answer instead of accepting the push. */
export interface CannedAnswer {
  status: number
  retryAfter?: string
  body?: string
}

interface Sub {
  ecdh: ECDH
  auth: string
  /** The `applicationServerKey` the page subscribed with: pushes signed by another key get 403. */
  serverKey: string | null
  received: ReceivedPush[]
  answers: CannedAnswer[]
  gone: boolean
}

/** Largest body accepted (RFC 8030 §7.2: at least 4096 octets; real services stop there). */
const MAX_BODY = 4096

function b64json(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>
}

export class FakePushService {
  /** Pushes refused by the checks, with the reason (for asserting that nothing bad got through). */
  readonly refusals: string[] = []
  requests = 0
  private readonly subs = new Map<string, Sub>()

  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<FakePushService> {
    let service: FakePushService | null = null
    const server = createServer((req, res) => {
      void service?.handle(req, res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    service = new FakePushService(server, `http://127.0.0.1:${port}`)
    return service
  }

  /** A new browser subscription (`applicationServerKey`: the VAPID public key the page used). */
  subscribe(applicationServerKey: string | null = null): FakeSubscriptionJson {
    const id = randomBytes(12).toString('hex')
    const ecdh = createECDH('prime256v1')
    ecdh.generateKeys()
    const auth = randomBytes(16).toString('base64url')
    this.subs.set(id, {
      ecdh,
      auth,
      serverKey: applicationServerKey,
      received: [],
      answers: [],
      gone: false,
    })
    return {
      endpoint: `${this.origin}/push/${id}`,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth },
    }
  }

  /** Pushes delivered to a subscription, decrypted. */
  received(sub: FakeSubscriptionJson): ReceivedPush[] {
    return this.sub(sub).received
  }

  /** The next pushes to `sub` get these answers, in order (after the VAPID check). */
  answer(sub: FakeSubscriptionJson, ...answers: CannedAnswer[]): void {
    this.sub(sub).answers.push(...answers)
  }

  /** The browser unsubscribed: 410 Gone from now on. */
  unsubscribe(sub: FakeSubscriptionJson): void {
    this.sub(sub).gone = true
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private sub(s: FakeSubscriptionJson): Sub {
    const found = this.subs.get(s.endpoint.split('/').pop() ?? '')
    if (!found) throw new Error(`fake push: unknown subscription ${s.endpoint}`)
    return found
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests += 1
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const reply = (status: number, text = '', headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(text)
    }
    const refuse = (status: number, reason: string): void => {
      this.refusals.push(reason)
      reply(status, reason)
    }

    const match = /^\/push\/([0-9a-f]+)$/.exec(req.url ?? '')
    const sub = match?.[1] ? this.subs.get(match[1]) : undefined
    if (req.method !== 'POST' || !sub) return reply(404, 'no such subscription')
    if (sub.gone) return reply(410, 'subscription expired or unsubscribed')

    const vapid = this.checkVapid(req.headers.authorization)
    if (typeof vapid === 'string') return refuse(401, vapid)
    if (sub.serverKey !== null && vapid.publicKey !== sub.serverKey) {
      return refuse(403, 'VAPID key differs from the applicationServerKey of the subscription')
    }
    const canned = sub.answers.shift()
    if (canned) {
      return reply(
        canned.status,
        canned.body ?? '',
        canned.retryAfter ? { 'retry-after': canned.retryAfter } : {},
      )
    }
    if (req.headers['content-encoding'] !== 'aes128gcm')
      return refuse(415, 'Content-Encoding must be aes128gcm')
    if (!/^\d+$/.test(String(req.headers.ttl ?? ''))) return refuse(400, 'TTL header missing')
    if (body.length > MAX_BODY)
      return refuse(413, `body of ${body.length} bytes exceeds ${MAX_BODY}`)
    let payload: unknown
    try {
      payload = JSON.parse(
        ece
          .decrypt(body, { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: sub.auth })
          .toString('utf8'),
      )
    } catch (err) {
      return refuse(400, `payload does not decrypt to JSON: ${(err as Error).message}`)
    }
    sub.received.push({
      payload,
      bodyBytes: body.length,
      ttl: req.headers.ttl as string | undefined,
      urgency: req.headers.urgency as string | undefined,
      topic: req.headers.topic as string | undefined,
      vapid,
    })
    reply(201, '', { location: `${this.origin}/message/${randomBytes(8).toString('hex')}` })
  }

  /** The VAPID claims when `Authorization: vapid t=<jwt>, k=<key>` checks out, else why not. */
  private checkVapid(header: string | undefined): ReceivedPush['vapid'] | string {
    const m = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header ?? '')
    if (!m?.[1] || !m[2]) return 'Authorization is not "vapid t=<jwt>, k=<key>"'
    const [h, p, s] = m[1].split('.') as [string, string, string]
    const key = Buffer.from(m[2], 'base64url')
    if (key.length !== 65 || key[0] !== 0x04) return 'k is not an uncompressed P-256 point'
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: key.subarray(1, 33).toString('base64url'),
      y: key.subarray(33).toString('base64url'),
    }
    const header_ = b64json(h)
    if (header_.alg !== 'ES256') return `JWT alg ${String(header_.alg)} is not ES256`
    const signed = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'),
    )
    if (!signed) return 'JWT signature does not verify with k'
    const claims = b64json(p)
    const now = Math.floor(Date.now() / 1000)
    if (claims.aud !== this.origin) return `JWT aud ${String(claims.aud)} is not ${this.origin}`
    if (typeof claims.exp !== 'number' || claims.exp <= now || claims.exp > now + 24 * 3600)
      return 'JWT exp is not within the next 24 h'
    if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub))
      return 'JWT sub is not a mailto: or https: contact'
    return { publicKey: m[2], aud: claims.aud, sub: claims.sub, exp: claims.exp }
  }
}
