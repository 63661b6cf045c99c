/**
 * The platform end of the multi-daemon suite (DESIGN §10): a webhook relay on 127.0.0.1 that
 * records every request with its `Idempotency-Key` (our message id, which the webhook connector
 * sends on every try) and the client's source port — so a test can tell which daemon sent it
 * (`daemonPorts()` in ./daemons.ts). It answers 200 at once, or, while `hold()` is on, keeps new
 * requests open until `release()`; a held request whose connection closes first (its daemon was
 * killed) is recorded as `aborted`: the send was in flight and the sender never saw an answer.
 */
import { once } from 'node:events'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RelayRequest {
  key: string | null
  /** The body's `to.address`. */
  address: string | null
  /** The sending daemon's local port (the relay's remote port). */
  port: number
  /** Date.now() when the request was read. */
  at: number
  state: 'held' | 'ok' | 'aborted'
}

export interface RecordingRelay {
  readonly url: string
  readonly requests: readonly RelayRequest[]
  /** First time each key was answered 200 (ms). */
  readonly deliveredAt: ReadonlyMap<string, number>
  /** How many times each key was answered 200: above 1 is a re-send the platform deduplicates. */
  readonly acceptedByKey: ReadonlyMap<string, number>
  hold(): void
  /** Answers every held request that is still open, and answers new ones at once again. */
  release(): void
  /** Polls `check` every 20 ms until it holds; throws `what` after `timeoutMs`. */
  waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void>
  close(): Promise<void>
}

function addressOf(body: string): string | null {
  try {
    const to = (JSON.parse(body) as { to?: { address?: unknown } }).to
    return typeof to?.address === 'string' ? to.address : null
  } catch {
    return null
  }
}

/** Starts the relay on a free loopback port. */
export async function startRecordingRelay(): Promise<RecordingRelay> {
  const requests: RelayRequest[] = []
  const deliveredAt = new Map<string, number>()
  const acceptedByKey = new Map<string, number>()
  const held: { res: ServerResponse; r: RelayRequest }[] = []
  let holding = false

  const answer = (res: ServerResponse, r: RelayRequest) => {
    if (r.state === 'aborted') return
    r.state = 'ok'
    if (r.key !== null) {
      if (!deliveredAt.has(r.key)) deliveredAt.set(r.key, Date.now())
      acceptedByKey.set(r.key, (acceptedByKey.get(r.key) ?? 0) + 1)
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ platform_message_id: `pm_${r.key ?? requests.length}` }))
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const key = req.headers['idempotency-key']
      const r: RelayRequest = {
        key: typeof key === 'string' ? key : null,
        address: addressOf(Buffer.concat(chunks).toString('utf8')),
        port: req.socket.remotePort ?? 0,
        at: Date.now(),
        state: 'held',
      }
      requests.push(r)
      if (!holding) return answer(res, r)
      held.push({ res, r })
      res.on('close', () => {
        if (r.state === 'held') r.state = 'aborted'
      })
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/outbound`,
    requests,
    deliveredAt,
    acceptedByKey,
    hold: () => void (holding = true),
    release() {
      holding = false
      for (const { res, r } of held.splice(0)) answer(res, r)
    },
    async waitFor(check, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`relay: ${what} not within ${timeoutMs} ms`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
