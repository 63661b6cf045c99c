/**
 * A fake LINE Messaging API on 127.0.0.1 (`/v2/bot/info`, `/v2/bot/profile/{userId}`,
 * `/v2/bot/message/push` with `X-Line-Retry-Key` semantics, `/v2/bot/message/{id}/content`),
 * answering with LINE's JSON error bodies. Tests script faults (429, 5xx, slow answers, dropped
 * connections — also after the push was accepted) and build signed webhook requests.
 */
import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type LineRoute = 'info' | 'profile' | 'push' | 'content' | '*'

export type LineFault =
  | { kind: 'error'; status: number; message: string; headers?: Record<string, string> }
  | { kind: 'http'; status: number; body: string }
  | { kind: 'drop' }
  | { kind: 'slow'; ms: number }
  /** Accept the push (its retry key is now used), then drop the connection before answering. */
  | { kind: 'accept-then-drop' }

export interface LinePush {
  retryKey: string | null
  to: string
  messages: Array<Record<string, unknown>>
  /** What the fake did: delivered it, refused it as a retry of an accepted key, or failed it. */
  outcome: 'accepted' | 'duplicate' | 'failed'
  /** When the request arrived (ms since the epoch): retry timing is checked on these. */
  at: number
}

export interface LineFake {
  /** Pass as `api_base_url`. */
  baseUrl: string
  channelAccessToken: string
  pushes: LinePush[]
  /** Pushes LINE actually delivered to users. */
  delivered(): LinePush[]
  fail(route: LineRoute, fault: LineFault, times?: number): void
  /** Serve `data` as the content of message `id`. */
  addContent(id: string, data: Buffer, contentType: string): void
  setProfile(userId: string, displayName: string): void
  close(): Promise<void>
}

interface PushBody {
  to: string
  messages: Array<Record<string, unknown>>
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const USER_ID = /^U[0-9a-f]{32}$/

export async function startLineFake(channelAccessToken = 'line-test-token'): Promise<LineFake> {
  const pushes: LinePush[] = []
  const acceptedKeys = new Map<string, Array<{ id: string; quoteToken: string }>>()
  const contents = new Map<string, { data: Buffer; contentType: string }>()
  const profiles = new Map<string, string>()
  const faults: Array<{ route: LineRoute; fault: LineFault }> = []
  let nextId = 500_000_000_000_000_000n

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const at = Date.now()
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const url = new URL(req.url ?? '/', 'http://fake')
    const path = url.pathname
    const route: LineRoute | null =
      path === '/v2/bot/info'
        ? 'info'
        : path === '/v2/bot/message/push'
          ? 'push'
          : /^\/v2\/bot\/profile\/[^/]+$/.test(path)
            ? 'profile'
            : /^\/v2\/bot\/message\/[^/]+\/content$/.test(path)
              ? 'content'
              : null
    if (!route) return error(res, 404, 'Not found')
    if (req.headers.authorization !== `Bearer ${channelAccessToken}`) {
      return error(
        res,
        401,
        'Authentication failed. Confirm that the access token in the authorization header is valid.',
      )
    }
    let push: LinePush | null = null
    let body: PushBody | null = null
    if (route === 'push') {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PushBody
      const retryKey = (req.headers['x-line-retry-key'] as string | undefined) ?? null
      push = { retryKey, to: body.to, messages: body.messages, outcome: 'failed', at }
      pushes.push(push)
    }
    const i = faults.findIndex((f) => f.route === route || f.route === '*')
    let dropAfterAccept = false
    if (i >= 0) {
      const { fault } = faults.splice(i, 1)[0]!
      if (fault.kind === 'error') return error(res, fault.status, fault.message, fault.headers)
      if (fault.kind === 'http') return void res.writeHead(fault.status).end(fault.body)
      if (fault.kind === 'drop') return void req.socket.destroy()
      if (fault.kind === 'slow') await new Promise((r) => setTimeout(r, fault.ms))
      dropAfterAccept = fault.kind === 'accept-then-drop'
    }
    if (route === 'info') {
      return json(res, 200, {
        userId: `U${'0'.repeat(32)}`,
        basicId: '@omnigate',
        displayName: 'Omnigate',
        chatMode: 'bot',
        markAsReadMode: 'manual',
      })
    }
    if (route === 'profile') {
      const userId = decodeURIComponent(path.split('/')[4]!)
      const name = profiles.get(userId)
      if (!name) return error(res, 404, 'Not found')
      return json(res, 200, { userId, displayName: name, language: 'en' })
    }
    if (route === 'content') {
      const c = contents.get(decodeURIComponent(path.split('/')[4]!))
      if (!c) return error(res, 404, 'Not found')
      return void res.writeHead(200, { 'content-type': c.contentType }).end(c.data)
    }
    // push (recorded above, before any fault, so a test sees every attempt)
    if (!push || !body) return error(res, 500, 'fake: push not recorded')
    const key = push.retryKey
    if (key !== null && !UUID.test(key)) return error(res, 400, 'The retry key is invalid')
    const accepted = key === null ? undefined : acceptedKeys.get(key)
    if (accepted) {
      push.outcome = 'duplicate'
      return json(
        res,
        409,
        { message: 'The retry key is already accepted', sentMessages: accepted },
        { 'x-line-accepted-request-id': 'req-1' },
      )
    }
    if (!USER_ID.test(body.to))
      return error(
        res,
        400,
        "The property, 'to', in the request body is invalid (line: -, column: -)",
      )
    if (!Array.isArray(body.messages) || body.messages.length < 1 || body.messages.length > 5) {
      return error(res, 400, 'The request body has 1 error(s)', {}, [
        { message: 'Size must be between 1 and 5', property: 'messages' },
      ])
    }
    const sent = body.messages.map(() => ({ id: String(nextId++), quoteToken: 'q' }))
    if (key !== null) acceptedKeys.set(key, sent)
    push.outcome = 'accepted'
    if (dropAfterAccept) return void req.socket.destroy()
    return json(res, 200, { sentMessages: sent })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => error(res, 500, String(err)))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    channelAccessToken,
    pushes,
    delivered: () => pushes.filter((p) => p.outcome === 'accepted'),
    fail(route, fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push({ route, fault })
    },
    addContent: (id, data, contentType) => void contents.set(id, { data, contentType }),
    setProfile: (userId, name) => void profiles.set(userId, name),
    async close() {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.writableEnded || res.destroyed) return
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-line-request-id': 'req-2',
    ...headers,
  })
  res.end(JSON.stringify(body))
}

function error(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
  details?: Array<{ message: string; property: string }>,
): void {
  json(res, status, details ? { message, details } : { message }, headers)
}

/** A LINE user id (`U` + 32 hex) for tests. */
export function lineUserId(n: number): string {
  return `U${n.toString(16).padStart(32, '0')}`
}

/** A webhook request as LINE sends it: JSON body signed with the channel secret. */
export function lineWebhookRequest(
  channelSecret: string,
  events: unknown[],
  opts: { signature?: string; url?: string } = {},
): Request {
  const body = JSON.stringify({ destination: `U${'f'.repeat(32)}`, events })
  const signature =
    opts.signature ?? createHmac('sha256', channelSecret).update(body).digest('base64')
  return new Request(opts.url ?? 'https://gw.example/hooks/line/line', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-line-signature': signature },
    body,
  })
}

const base = (userId: string): Record<string, unknown> => ({
  timestamp: 1_700_000_000_000,
  source: { type: 'user', userId },
  mode: 'active',
  webhookEventId: `01H${Math.random().toString(36).slice(2, 12).toUpperCase()}`,
  deliveryContext: { isRedelivery: false },
})

/** Webhook event builders in LINE's wire format. */
export const lineEvents = {
  text: (userId: string, id: string, text: string) => ({
    ...base(userId),
    type: 'message',
    replyToken: 'r',
    message: { id, type: 'text', text, quoteToken: 'q' },
  }),
  image: (userId: string, id: string) => ({
    ...base(userId),
    type: 'message',
    replyToken: 'r',
    message: { id, type: 'image', contentProvider: { type: 'line' }, quoteToken: 'q' },
  }),
  file: (userId: string, id: string, fileName: string) => ({
    ...base(userId),
    type: 'message',
    replyToken: 'r',
    message: { id, type: 'file', fileName, fileSize: 10 },
  }),
  follow: (userId: string) => ({
    ...base(userId),
    type: 'follow',
    replyToken: 'r',
    follow: { isUnblocked: true },
  }),
  unfollow: (userId: string) => ({ ...base(userId), type: 'unfollow' }),
}
