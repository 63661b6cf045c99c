/**
 * The narrow slice of whatsapp-web.js the connector uses, declared here so the connector never
 * depends on the SDK's types (its `index.d.ts` drags puppeteer in) and a fake `Client` can stand in
 * for tests. Names, argument order and payload shapes are the library's (1.34).
 */

/** `ContactId` as `getNumberId()` returns it: `{ user: '4917…', server: 'c.us', _serialized }`. */
export interface WhatsAppContactId {
  user: string
  server: string
  _serialized: string
}

/** `MessageId`: `_serialized` is the id acks and our store refer to. */
export interface WhatsAppMessageId {
  fromMe: boolean
  remote: string
  id: string
  _serialized: string
}

/** `MessageMedia`: base64 bytes with their MIME type. */
export interface WhatsAppMedia {
  mimetype: string
  data: string
  filename?: string | null
  filesize?: number | null
}

/** The fields of a `Message` the connector reads. */
export interface WhatsAppMessage {
  id: WhatsAppMessageId
  /** `<digits>@c.us` for a person, `…@g.us` a group, `status@broadcast` a status update. */
  from: string
  fromMe: boolean
  body: string
  type: string
  /** Unix seconds. */
  timestamp: number
  hasMedia: boolean
  isStatus?: boolean
  broadcast?: boolean
  ack?: number
  /** The raw WhatsApp Web model; `notifyName` is the sender's own display name. */
  rawData?: { notifyName?: string } | object
  /** Resolves undefined when the media is no longer on WhatsApp's servers. */
  downloadMedia(): Promise<WhatsAppMedia | undefined>
}

/** `MessageSendOptions`, the part used. */
export interface WhatsAppSendOptions {
  caption?: string
  /** Send media as a file rather than as a photo/video (kept for anything not image/video/audio). */
  sendMediaAsDocument?: boolean
  /** Don't mark the chat read when sending (a gateway is not a person reading it). */
  sendSeen?: boolean
}

/** The events the connector listens to, with the library's payloads. */
export interface WhatsAppClientEvents {
  qr: (qr: string) => void
  authenticated: () => void
  ready: () => void
  auth_failure: (message: string) => void
  /** `reason` is a WAState (`CONFLICT`, `UNPAIRED` …) or `'LOGOUT'` when the phone unlinked us. */
  disconnected: (reason: string) => void
  message: (message: WhatsAppMessage) => void
  message_ack: (message: WhatsAppMessage, ack: number) => void
}

export type WhatsAppEvent = keyof WhatsAppClientEvents

/** The `Client` methods the connector calls. */
export interface WhatsAppClientLike {
  on<E extends WhatsAppEvent>(event: E, listener: WhatsAppClientEvents[E]): unknown
  once<E extends WhatsAppEvent>(event: E, listener: WhatsAppClientEvents[E]): unknown
  removeListener<E extends WhatsAppEvent>(event: E, listener: WhatsAppClientEvents[E]): unknown
  /** Launches the browser and opens WhatsApp Web; no deadline of its own. */
  initialize(): Promise<void>
  /** Closes the browser; the LocalAuth session stays on disk. */
  destroy(): Promise<void>
  /** `number` as digits (`4917…`) or `4917…@c.us`; null when not on WhatsApp. */
  getNumberId(number: string): Promise<WhatsAppContactId | null>
  isRegisteredUser(contactId: string): Promise<boolean>
  sendMessage(
    chatId: string,
    content: string | WhatsAppMedia,
    options?: WhatsAppSendOptions,
  ): Promise<WhatsAppMessage>
  logout?(): Promise<void>
}

/** What the connector passes to a client factory. */
export interface WhatsAppClientOptions {
  /** LocalAuth's folder: `<data dir>/<session>`. */
  dataPath: string
  /** LocalAuth's client id (the session lives in `<dataPath>/session-<clientId>`). */
  clientId: string
  /** The Chromium binary puppeteer launches. */
  executablePath: string
}

export type WhatsAppClientFactory = (o: WhatsAppClientOptions) => WhatsAppClientLike

/** Builds the media object `sendMessage()` accepts (the library checks `instanceof MessageMedia`). */
export type WhatsAppMediaFactory = (
  mimetype: string,
  base64: string,
  filename: string | null,
  filesize: number | null,
) => WhatsAppMedia
