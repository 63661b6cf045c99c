/**
 * A fake of Meta's Graph API for the WhatsApp Cloud API on 127.0.0.1: the phone number object,
 * `POST /<version>/<phone_number_id>/messages`, media by id and its download URL (bearer token
 * required, as on lookaside.fbsbx.com), with Meta's `{error: {message, type, code, …}}` bodies.
 * Tests script faults (error codes, 429, 5xx, slow answers, dropped connections) and build signed
 * webhook requests and payloads.
 */
import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type GraphRoute = 'phone' | 'messages' | 'media' | 'download' | '*'

export type GraphFault =
  | {
      kind: 'error'
      status: number
      code: number
      message: string
      details?: string
      headers?: Record<string, string>
    }
  | { kind: 'http'; status: number; body: string }
  | { kind: 'drop' }
  | { kind: 'slow'; ms: number }
  /** Answer normally: lets a test fail the second request rather than the first. */
  | { kind: 'pass' }

export interface GraphSend {
  body: Record<string, unknown>
  /** The wamid answered, or null when the request failed. */
  wamid: string | null
  /** When the request arrived (ms since the epoch): retry timing is checked on these. */
  at: number
}

export interface GraphFake {
  /** Pass as `graph_url`. */
  graphUrl: string
  accessToken: string
  phoneNumberId: string
  apiVersion: string
  /** Every POST to /messages, in order. */
  sends: GraphSend[]
  fail(route: GraphRoute, fault: GraphFault, times?: number): void
  /** Serve `data` as media `id`. */
  addMedia(id: string, data: Buffer, mimeType: string): void
  close(): Promise<void>
}

export async function startGraphFake(
  opts: { accessToken?: string; phoneNumberId?: string; apiVersion?: string } = {},
): Promise<GraphFake> {
  const accessToken = opts.accessToken ?? 'EAAG-test-token'
  const phoneNumberId = opts.phoneNumberId ?? '106540352242922'
  const apiVersion = opts.apiVersion ?? 'v21.0'
  const sends: GraphSend[] = []
  const media = new Map<string, { data: Buffer; mimeType: string }>()
  const faults: Array<{ route: GraphRoute; fault: GraphFault }> = []
  let nextWamid = 1
  let origin = ''

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const at = Date.now()
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const path = new URL(req.url ?? '/', 'http://fake').pathname
    const prefix = `/${apiVersion}/`
    const route: GraphRoute | null = path.startsWith('/download/')
      ? 'download'
      : path === `${prefix}${phoneNumberId}/messages` && req.method === 'POST'
        ? 'messages'
        : path === `${prefix}${phoneNumberId}`
          ? 'phone'
          : path.startsWith(prefix) && req.method === 'GET'
            ? 'media'
            : null
    if (!route) return graphError(res, 400, 100, 'Unsupported request - method type or path')
    if (req.headers.authorization !== `Bearer ${accessToken}`) {
      if (route === 'download') return void res.writeHead(401).end()
      return graphError(res, 401, 190, 'Invalid OAuth access token - Cannot parse access token')
    }
    const i = faults.findIndex((f) => f.route === route || f.route === '*')
    if (i >= 0) {
      const { fault } = faults.splice(i, 1)[0]!
      const answered = fault.kind === 'slow' || fault.kind === 'pass'
      if (route === 'messages' && !answered)
        sends.push({ body: parseBody(chunks), wamid: null, at })
      if (fault.kind === 'error')
        return graphError(
          res,
          fault.status,
          fault.code,
          fault.message,
          fault.details,
          fault.headers,
        )
      if (fault.kind === 'http') return void res.writeHead(fault.status).end(fault.body)
      if (fault.kind === 'drop') return void req.socket.destroy()
      if (fault.kind === 'slow') await new Promise((r) => setTimeout(r, fault.ms))
    }
    if (route === 'phone') {
      return json(res, 200, {
        verified_name: 'Omnigate Test',
        display_phone_number: '+1 555-010-0000',
        id: phoneNumberId,
        quality_rating: 'GREEN',
      })
    }
    if (route === 'media') {
      const id = decodeURIComponent(path.slice(prefix.length))
      const m = media.get(id)
      if (!m)
        return graphError(
          res,
          400,
          100,
          `Unsupported get request. Object with ID '${id}' does not exist`,
        )
      return json(res, 200, {
        messaging_product: 'whatsapp',
        url: `${origin}/download/${encodeURIComponent(id)}`,
        mime_type: m.mimeType,
        sha256: 'x',
        file_size: m.data.length,
        id,
      })
    }
    if (route === 'download') {
      const m = media.get(decodeURIComponent(path.slice('/download/'.length)))
      if (!m) return void res.writeHead(404).end()
      return void res.writeHead(200, { 'content-type': m.mimeType }).end(m.data)
    }
    const body = parseBody(chunks)
    if (
      body.messaging_product !== 'whatsapp' ||
      typeof body.to !== 'string' ||
      !/^\d{6,15}$/.test(body.to)
    ) {
      sends.push({ body, wamid: null, at })
      return graphError(res, 400, 100, 'Invalid parameter', 'to must be a phone number without +')
    }
    const wamid = `wamid.HBgL${String(nextWamid++).padStart(6, '0')}`
    sends.push({ body, wamid, at })
    return json(res, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: body.to, wa_id: body.to }],
      messages: [
        { id: wamid, ...(body.type === 'template' ? { message_status: 'accepted' } : {}) },
      ],
    })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => graphError(res, 500, 1, String(err)))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    graphUrl: origin,
    accessToken,
    phoneNumberId,
    apiVersion,
    sends,
    fail(route, fault, times = 1) {
      for (let n = 0; n < times; n++) faults.push({ route, fault })
    },
    addMedia: (id, data, mimeType) => void media.set(id, { data, mimeType }),
    async close() {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

function parseBody(chunks: Buffer[]): Record<string, unknown> {
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? (JSON.parse(text) as Record<string, unknown>) : {}
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.writableEnded || res.destroyed) return
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify(body))
}

function graphError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  details?: string,
  headers: Record<string, string> = {},
): void {
  json(
    res,
    status,
    {
      error: {
        message,
        type: 'OAuthException',
        code,
        ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
        fbtrace_id: 'AbCdEf123',
      },
    },
    headers,
  )
}

/** A webhook delivery as Meta sends it: JSON signed with the app secret. */
export function graphWebhookRequest(
  appSecret: string,
  payload: unknown,
  opts: { signature?: string; url?: string } = {},
): Request {
  const body = JSON.stringify(payload)
  const signature =
    opts.signature ?? `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`
  return new Request(opts.url ?? 'https://gw.example/hooks/whatsapp-cloud/wa', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body,
  })
}

/** The `GET` verification request Meta makes when the callback URL is saved. */
export function graphVerifyRequest(params: Record<string, string>): Request {
  const q = new URLSearchParams(params)
  return new Request(`https://gw.example/hooks/whatsapp-cloud/wa?${q.toString()}`, {
    method: 'GET',
  })
}

/** One `messages` change for `phoneNumberId`, in Meta's webhook envelope. */
export function graphChange(phoneNumberId: string, value: Record<string, unknown>): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550100000', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  }
}

/** An inbound message value (`contacts` + `messages`) from `waId` named `name`. */
export function graphInbound(
  waId: string,
  name: string,
  message: Record<string, unknown>,
): Record<string, unknown> {
  return {
    contacts: [{ profile: { name }, wa_id: waId }],
    messages: [{ from: waId, timestamp: '1700000000', ...message }],
  }
}
