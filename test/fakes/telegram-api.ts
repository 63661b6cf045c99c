/**
 * A fake Telegram Bot API on 127.0.0.1: `/bot<token>/<method>` with JSON or multipart bodies,
 * `{ok, result}` / `{ok:false, error_code, description, parameters}` answers, long-polled
 * getUpdates with real offset confirmation (and 409 when a second poller arrives), file downloads
 * at `/file/bot<token>/<path>`. Tests queue updates, script faults and read what was sent.
 *
 * Also exports `recordingContext()` and `waitFor()`, the test `ConnectorContext` the three
 * connector suites share (they belong in a shared test/fakes module; see the report).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Request as UndiciRequest } from 'undici'

/** What a scripted failure does to the next matching request. */
export type TelegramFault =
  | { kind: 'error'; code: number; description: string; retryAfter?: number }
  | { kind: 'http'; status: number; body: string }
  | { kind: 'drop' }
  | { kind: 'slow'; ms: number }

export interface TelegramUpload {
  /** `photo`, `document`, or `media.<i>` for an album item. */
  field: string
  filename: string
  contentType: string
  data: Buffer
}

export interface TelegramCall {
  method: string
  params: Record<string, unknown>
  files: TelegramUpload[]
  /** When the request arrived (ms since the epoch): retry timing is checked on these. */
  at: number
}

export interface TelegramUpdate {
  update_id: number
  message?: Record<string, unknown>
  my_chat_member?: Record<string, unknown>
}

export interface TelegramFake {
  /** Pass as `api_root`. */
  apiRoot: string
  token: string
  calls: TelegramCall[]
  callsTo(method: string): TelegramCall[]
  /** Queue an update for getUpdates; returns it with its update_id. */
  queueUpdate(update: Omit<TelegramUpdate, 'update_id'>): TelegramUpdate
  /** A private-chat message update (not queued): text, and/or a photo or document stored here. */
  messageUpdate(opts: UserMessage): Omit<TelegramUpdate, 'update_id'>
  /** The user blocked (`kicked`) or unblocked (`member`) the bot (not queued). */
  memberUpdate(chatId: number, status: 'kicked' | 'member'): Omit<TelegramUpdate, 'update_id'>
  /** Script the next `times` calls of `method` (`*` for any). */
  fail(method: string, fault: TelegramFault, times?: number): void
  /** 403 for sends to this chat (the user blocked the bot). */
  block(chatId: number): void
  /** The user unblocked the bot: sends to this chat work again. */
  unblock(chatId: number): void
  /** getUpdates requests currently held open. */
  pendingPolls(): number
  close(): Promise<void>
}

export interface UserMessage {
  chatId: number
  firstName?: string
  lastName?: string
  text?: string
  caption?: string
  photo?: Buffer
  document?: { data: Buffer; fileName: string; mimeType: string }
  chatType?: 'private' | 'group'
}

interface StoredFile {
  path: string
  data: Buffer
}

interface PendingPoll {
  offset: number
  res: ServerResponse
  timer: NodeJS.Timeout
}

export async function startTelegramFake(token = '123456:TEST-token'): Promise<TelegramFake> {
  const calls: TelegramCall[] = []
  const updates: TelegramUpdate[] = []
  const files = new Map<string, StoredFile>()
  const faults: Array<{ method: string; fault: TelegramFault }> = []
  const blocked = new Set<string>()
  let nextUpdateId = 1000
  let nextMessageId = 1
  let nextFileId = 1
  let poll: PendingPoll | null = null

  const ok = (res: ServerResponse, result: unknown): void => json(res, 200, { ok: true, result })
  const fail = (
    res: ServerResponse,
    code: number,
    description: string,
    retryAfter?: number,
  ): void =>
    json(res, code, {
      ok: false,
      error_code: code,
      description,
      ...(retryAfter === undefined ? {} : { parameters: { retry_after: retryAfter } }),
    })

  const answerPoll = (p: PendingPoll): void => {
    clearTimeout(p.timer)
    if (poll === p) poll = null
    ok(
      p.res,
      updates.filter((u) => u.update_id >= p.offset),
    )
  }

  const storeFile = (data: Buffer, ext: string): { file_id: string; file_unique_id: string } => {
    const n = nextFileId++
    const id = `file-${n}`
    files.set(id, { path: `uploads/${id}.${ext}`, data })
    return { file_id: id, file_unique_id: `u${n}` }
  }

  const sentMessage = (
    chatId: string,
    extra: Record<string, unknown>,
  ): Record<string, unknown> => ({
    message_id: nextMessageId++,
    date: Math.floor(Date.now() / 1000),
    chat: { id: Number(chatId), type: 'private' },
    ...extra,
  })

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake')
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname)
    if (fileMatch) {
      const file = [...files.values()].find((f) => f.path === fileMatch[2])
      if (fileMatch[1] !== token || !file) return void res.writeHead(404).end()
      return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file.data)
    }
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname)
    if (!m) return fail(res, 404, 'Not Found')
    const method = m[2]!
    if (m[1] !== token) return fail(res, 401, 'Unauthorized')
    const at = Date.now()
    const call = { ...(await parseCall(req, method)), at }
    calls.push(call)
    const i = faults.findIndex((f) => f.method === method || f.method === '*')
    if (i >= 0) {
      const { fault } = faults.splice(i, 1)[0]!
      if (fault.kind === 'error') return fail(res, fault.code, fault.description, fault.retryAfter)
      if (fault.kind === 'http') return void res.writeHead(fault.status).end(fault.body)
      if (fault.kind === 'drop') return void req.socket.destroy()
      await new Promise((r) => setTimeout(r, fault.ms))
    }
    const p = call.params
    const chatId =
      typeof p.chat_id === 'string' || typeof p.chat_id === 'number' ? String(p.chat_id) : ''
    switch (method) {
      case 'getMe':
        return ok(res, {
          id: 123456,
          is_bot: true,
          first_name: 'Omnigate',
          username: 'omnigate_bot',
        })
      case 'setWebhook':
      case 'deleteWebhook':
        return ok(res, true)
      case 'getUpdates': {
        const offset = typeof p.offset === 'number' ? p.offset : 0
        // Asking from an offset confirms every update before it: Telegram forgets them.
        if (offset > 0)
          updates.splice(0, updates.length, ...updates.filter((u) => u.update_id >= offset))
        if (poll) {
          clearTimeout(poll.timer)
          fail(
            poll.res,
            409,
            'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
          )
          poll = null
        }
        const pending: PendingPoll = {
          offset,
          res,
          timer: setTimeout(() => answerPoll(pending), 1000 * Number(p.timeout ?? 0)),
        }
        res.on('close', () => {
          clearTimeout(pending.timer)
          if (poll === pending) poll = null
        })
        if (updates.some((u) => u.update_id >= offset) || !p.timeout) return answerPoll(pending)
        poll = pending
        return
      }
      case 'getFile': {
        const fileId = String(p.file_id)
        const f = files.get(fileId)
        if (!f) return fail(res, 400, 'Bad Request: invalid file_id')
        return ok(res, {
          file_id: fileId,
          file_unique_id: `u-${fileId}`,
          file_size: f.data.length,
          file_path: f.path,
        })
      }
    }
    if (!method.startsWith('send')) return fail(res, 404, 'Not Found: method not found')
    if (blocked.has(chatId)) return fail(res, 403, 'Forbidden: bot was blocked by the user')
    if (method === 'sendMessage') return ok(res, sentMessage(chatId, { text: p.text }))
    if (method === 'sendPhoto')
      return ok(
        res,
        sentMessage(chatId, { photo: [storeFile(call.files[0]!.data, 'jpg')], caption: p.caption }),
      )
    if (method === 'sendDocument')
      return ok(
        res,
        sentMessage(chatId, {
          document: storeFile(call.files[0]!.data, 'bin'),
          caption: p.caption,
        }),
      )
    if (method === 'sendMediaGroup') {
      const media = p.media as Array<{ type: string }>
      if (media.length < 2 || media.length > 10)
        return fail(res, 400, 'Bad Request: wrong number of media')
      return ok(
        res,
        media.map((x) => sentMessage(chatId, { media_group_id: 'g1', [x.type]: {} })),
      )
    }
    return fail(res, 400, `Bad Request: the fake does not implement ${method}`)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err) + (err instanceof Error ? err.stack : ''))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    queueUpdate(update) {
      const full = { update_id: nextUpdateId++, ...update }
      updates.push(full)
      if (poll) answerPoll(poll)
      return full
    },
    messageUpdate(o) {
      const message: Record<string, unknown> = {
        message_id: nextMessageId++,
        date: 1_700_000_000,
        chat: { id: o.chatId, type: o.chatType ?? 'private', first_name: o.firstName },
        from: {
          id: o.chatId,
          is_bot: false,
          first_name: o.firstName ?? 'Ana',
          last_name: o.lastName,
        },
      }
      if (o.text !== undefined) message.text = o.text
      if (o.caption !== undefined) message.caption = o.caption
      if (o.photo) {
        const small = storeFile(o.photo.subarray(0, 8), 'jpg')
        const big = storeFile(o.photo, 'jpg')
        message.photo = [
          { ...small, width: 90, height: 90 },
          { ...big, width: 1280, height: 960 },
        ]
      }
      if (o.document) {
        const f = storeFile(o.document.data, 'bin')
        message.document = { ...f, file_name: o.document.fileName, mime_type: o.document.mimeType }
      }
      return { message }
    },
    memberUpdate(chatId, status) {
      const user = { id: chatId, is_bot: false, first_name: 'Ana' }
      const bot = { id: 123456, is_bot: true, first_name: 'Omnigate' }
      const old = status === 'kicked' ? 'member' : 'kicked'
      return {
        my_chat_member: {
          chat: { id: chatId, type: 'private', first_name: 'Ana' },
          from: user,
          date: 1_700_000_000,
          old_chat_member: { user: bot, status: old },
          new_chat_member: { user: bot, status, ...(status === 'kicked' ? { until_date: 0 } : {}) },
        },
      }
    },
    fail(method, fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push({ method, fault })
    },
    block: (chatId) => void blocked.add(String(chatId)),
    unblock: (chatId) => void blocked.delete(String(chatId)),
    pendingPolls: () => (poll ? 1 : 0),
    async close() {
      if (poll) answerPoll(poll)
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

/** Parse a Bot API call: query string, JSON or multipart (files resolved from `attach://`). */
async function parseCall(req: IncomingMessage, method: string): Promise<Omit<TelegramCall, 'at'>> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const body = Buffer.concat(chunks)
  const type = req.headers['content-type'] ?? ''
  const params: Record<string, unknown> = {}
  const files: TelegramUpload[] = []
  if (type.startsWith('application/json') && body.length > 0) {
    Object.assign(params, JSON.parse(body.toString('utf8')) as Record<string, unknown>)
  } else if (type.startsWith('multipart/form-data')) {
    // undici 7's parser: Node 20's bundled one refuses grammY's compact part headers
    // (`content-disposition:form-data;name="x"`), which Telegram accepts.
    const init = { method: 'POST', headers: { 'content-type': type }, body }
    const form = await new UndiciRequest('http://fake/', init).formData()
    const parts = new Map<string, Blob & { name: string }>()
    for (const [key, value] of form) {
      if (typeof value === 'string') params[key] = parseField(value)
      else parts.set(key, value)
    }
    const take = async (field: string, ref: unknown): Promise<void> => {
      const id = typeof ref === 'string' && ref.startsWith('attach://') ? ref.slice(9) : null
      const file = id === null ? undefined : parts.get(id)
      if (!file) return
      files.push({
        field,
        filename: file.name,
        contentType: file.type,
        data: Buffer.from(await file.arrayBuffer()),
      })
    }
    for (const [key, value] of Object.entries(params)) await take(key, value)
    if (Array.isArray(params.media)) {
      for (const [i, item] of (params.media as Array<{ media?: unknown }>).entries())
        await take(`media.${i}`, item.media)
    }
  }
  return { method, params, files }
}

function parseField(value: string): unknown {
  if (/^[[{]/.test(value) || /^-?\d+$/.test(value)) {
    try {
      return JSON.parse(value) as unknown
    } catch {
      return value
    }
  }
  return value
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

export { outboundPayload, recordingContext, testAttachment, waitFor } from './connector-context.js'
export type { RecordingContext } from './connector-context.js'
