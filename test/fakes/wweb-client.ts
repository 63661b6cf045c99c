/**
 * A fake whatsapp-web.js `Client`: an EventEmitter with the library's event names ('qr',
 * 'authenticated', 'ready', 'message', 'message_ack', 'disconnected', 'auth_failure'), method
 * signatures and payload shapes (`Message` with `id._serialized`, `ContactId` from `getNumberId`,
 * `MessageMedia`), plus controls a test drives: a QR shown, the phone pairing, a person writing,
 * acks, drops and logouts. Like the library, `sendMessage` sends media only when it is an instance
 * of the media class (`FakeMessageMedia` here), and a client with a saved session becomes ready on
 * its own after `initialize()`.
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'

/** Stand-in for `MessageMedia`: `sendMessage` checks `instanceof`, as the library does. */
export class FakeMessageMedia {
  constructor(
    public mimetype: string,
    public data: string,
    public filename?: string | null,
    public filesize?: number | null,
  ) {}
}

export interface FakeMessage {
  id: { fromMe: boolean; remote: string; id: string; _serialized: string }
  from: string
  to: string
  fromMe: boolean
  body: string
  type: string
  timestamp: number
  hasMedia: boolean
  isStatus: boolean
  broadcast: boolean
  ack: number
  rawData: { notifyName?: string }
  downloadMedia(): Promise<FakeMessageMedia | undefined>
}

export interface SentRecord {
  chatId: string
  content: string | FakeMessageMedia
  options: Record<string, unknown>
  message: FakeMessage
}

/** What `initialize()` does on one call: resolve, never settle, or reject with a message. */
export type InitBehaviour = 'ok' | 'hang' | { fail: string }

export interface ReceiveInput {
  from: string
  body?: string
  notifyName?: string
  type?: string
  fromMe?: boolean
  isStatus?: boolean
  media?: { mimetype: string; data: Buffer; filename?: string } | 'expired'
}

const OWN_NUMBER = '4915550000000'

function newMessageId(fromMe: boolean, remote: string): FakeMessage['id'] {
  const id = randomBytes(10).toString('hex').toUpperCase()
  return { fromMe, remote, id, _serialized: `${fromMe}_${remote}_${id}` }
}

export class FakeWWebClient extends EventEmitter {
  /** Calls seen, for assertions. */
  initializeCalls = 0
  destroyCalls = 0
  readonly sent: SentRecord[] = []
  /** Whether LocalAuth holds a paired session (set by becomeReady, cleared by a LOGOUT). */
  paired = false
  private ready = false
  private readonly registered = new Set<string>()
  private readonly initPlan: InitBehaviour[] = []
  private failNext: Error | null = null

  constructor(readonly options: { dataPath: string; clientId: string; executablePath: string }) {
    super()
  }

  // ---- the library's API ----

  async initialize(): Promise<void> {
    this.initializeCalls += 1
    const behaviour = this.initPlan.shift() ?? 'ok'
    if (behaviour === 'hang') return new Promise<void>(() => undefined)
    if (behaviour !== 'ok') throw new Error(behaviour.fail)
    if (this.paired) {
      // A saved session restores without a QR, as with LocalAuth.
      setImmediate(() => this.becomeReady())
    }
  }

  destroy(): Promise<void> {
    this.destroyCalls += 1
    this.ready = false
    return Promise.resolve()
  }

  logout(): Promise<void> {
    this.paired = false
    this.ready = false
    return Promise.resolve()
  }

  async getNumberId(
    number: string,
  ): Promise<{ user: string; server: string; _serialized: string } | null> {
    await this.evaluate()
    const user = number.replace(/@c\.us$/, '')
    return this.registered.has(user) ? { user, server: 'c.us', _serialized: `${user}@c.us` } : null
  }

  async isRegisteredUser(contactId: string): Promise<boolean> {
    return (await this.getNumberId(contactId)) !== null
  }

  async sendMessage(
    chatId: string,
    content: string | FakeMessageMedia,
    options: Record<string, unknown> = {},
  ): Promise<FakeMessage> {
    await this.evaluate()
    const media = content instanceof FakeMessageMedia ? content : null
    if (media === null && typeof content !== 'string') {
      throw new Error('Evaluation failed: content is neither text nor MessageMedia')
    }
    const message: FakeMessage = {
      id: newMessageId(true, chatId),
      from: `${OWN_NUMBER}@c.us`,
      to: chatId,
      fromMe: true,
      body:
        typeof content === 'string'
          ? content
          : typeof options.caption === 'string'
            ? options.caption
            : '',
      type: media
        ? options.sendMediaAsDocument
          ? 'document'
          : (media.mimetype.split('/')[0] ?? 'document')
        : 'chat',
      timestamp: Math.floor(Date.now() / 1000),
      hasMedia: media !== null,
      isStatus: false,
      broadcast: false,
      ack: 0,
      rawData: {},
      downloadMedia: () => Promise.resolve(media ?? undefined),
    }
    this.sent.push({ chatId, content, options, message })
    return message
  }

  // ---- test controls ----

  /** Plans what the next `initialize()` calls do (default: resolve). */
  planInitialize(...behaviours: InitBehaviour[]): void {
    this.initPlan.push(...behaviours)
  }

  /** The next `getNumberId`/`sendMessage` throws `err` (a puppeteer or page error). */
  breakNextCall(err: Error): void {
    this.failNext = err
  }

  emitQr(qr: string): void {
    this.emit('qr', qr)
  }

  /** The phone scanned the QR (or the saved session restored): `authenticated`, then `ready`. */
  becomeReady(): void {
    this.paired = true
    this.ready = true
    this.emit('authenticated')
    this.emit('ready')
  }

  /** Marks a number (digits or `+E.164`) as having WhatsApp. */
  register(number: string): void {
    this.registered.add(number.replace(/^\+/, ''))
  }

  /** A message arrives; returns it as the library would have emitted it. */
  receive(input: ReceiveInput): FakeMessage {
    const media = input.media
    const message: FakeMessage = {
      id: newMessageId(input.fromMe ?? false, input.from),
      from: input.from,
      to: `${OWN_NUMBER}@c.us`,
      fromMe: input.fromMe ?? false,
      body: input.body ?? '',
      type: input.type ?? (media ? 'image' : 'chat'),
      timestamp: Math.floor(Date.now() / 1000),
      hasMedia: media !== undefined,
      isStatus: input.isStatus ?? input.from === 'status@broadcast',
      broadcast: input.from.endsWith('@broadcast'),
      ack: 1,
      rawData: input.notifyName === undefined ? {} : { notifyName: input.notifyName },
      downloadMedia: () =>
        Promise.resolve(
          media === undefined || media === 'expired'
            ? undefined
            : new FakeMessageMedia(
                media.mimetype,
                media.data.toString('base64'),
                media.filename ?? null,
                media.data.length,
              ),
        ),
    }
    this.emit('message', message)
    return message
  }

  /** The recipient's phone acknowledges a message we sent (`id` is its `_serialized`). */
  ack(id: string, level: number): void {
    const record = this.sent.find((s) => s.message.id._serialized === id)
    if (!record) throw new Error(`fake: no sent message ${id}`)
    record.message.ack = level
    this.emit('message_ack', record.message, level)
  }

  /** WhatsApp drops the session; `'LOGOUT'` when the phone unlinked this device. */
  disconnect(reason: string): void {
    this.ready = false
    if (reason === 'LOGOUT') this.paired = false
    this.emit('disconnected', reason)
  }

  authFailure(message: string): void {
    this.emit('auth_failure', message)
  }

  /** The call's round trip into the page: fails as the library does on a broken or unready page. */
  private evaluate(): Promise<void> {
    const err = this.failNext
    if (err) {
      this.failNext = null
      return Promise.reject(err)
    }
    if (!this.ready)
      return Promise.reject(new Error('Evaluation failed: WhatsApp Web is not ready'))
    return Promise.resolve()
  }
}
