/**
 * The one contract between the daemon and a channel (DESIGN §7). A connector never touches the
 * database: it gets an outbound payload and returns a result or throws a typed `SendError`, and it
 * reports inbound messages, status changes, reachability and its own state through the context the
 * daemon gives it at `start()`.
 */
import type { Logger } from 'pino'

export type ChannelType =
  'telegram' | 'whatsapp' | 'whatsapp-cloud' | 'line' | 'email' | 'webpush' | 'webhook' | 'webchat'

export const CHANNEL_TYPES: readonly ChannelType[] = [
  'telegram',
  'whatsapp',
  'whatsapp-cloud',
  'line',
  'email',
  'webpush',
  'webhook',
  'webchat',
]

/** What a channel accepts; the rules refuse anything outside it before a job is queued. */
export interface ChannelLimits {
  /** Longest text (characters) in one message. */
  textMax: number
  /** Longest caption when text goes with attachments (null: text and attachments are separate). */
  captionMax: number | null
  /** Attachments in one send (0: none accepted). */
  attachmentsMax: number
  /** Largest single attachment in bytes. */
  attachmentBytesMax: number
  /** Accepted MIME types as prefixes (`image/`, `application/pdf`); empty: any. */
  attachmentTypes: string[]
}

/**
 * What a channel type's platform does that changes how the gateway treats its sends: the same for
 * every channel of the type, so it is known from the config before a connector is built. Each
 * connector folder declares its own (`<type>/capabilities.ts`), `CHANNEL_CAPABILITIES` collects
 * them by type, and each connector carries its type's in `capabilities`. The gateway asks for a
 * capability by name, never by type name.
 */
export interface TypeCapabilities {
  /**
   * The platform drops a second send carrying our message id as its idempotency key (webhook
   * relay: `Idempotency-Key`, LINE: `X-Line-Retry-Key`). The dispatcher then does not count a
   * retry after an unknown outcome (a timeout after the request left) as a possible duplicate.
   */
  readonly idempotentSends: boolean
  /**
   * Machine-regular spacing is itself a ban signal (WhatsApp Web: an unofficial client on a
   * person's number). The dispatcher adds a random pause of up to half an interval on top of each
   * rate slot (dispatcher/send-jitter.ts); the rate is never exceeded.
   */
  readonly sendJitter: boolean
  /**
   * The connector can deliver a template as the platform's own (WhatsApp Cloud: approved templates
   * mapped in the channel's config), which some platforms require after the reply window closes.
   * Without it the connector gets the rendered text only.
   */
  readonly nativeTemplates: boolean
}

/**
 * A built connector's capabilities: its type's, plus those its settings or its state decide. Every
 * field is declared by every connector (null: not offered), so the compiler sees a forgotten one.
 */
export interface ConnectorCapabilities extends TypeCapabilities {
  /**
   * The platform acknowledges delivery to the device, and a `sent` message without that ack after
   * `undeliveredAfterMs` is how a quietly restricted account looks (WhatsApp Web). The gateway's
   * ack watchdog (gateway/watchdog.ts) flags such messages once and never resends them. Null: the
   * channel is not watched.
   */
  readonly ackWatch: { readonly undeliveredAfterMs: number } | null
  /**
   * Browser push: the VAPID public key (base64url) a page subscribes with, served at
   * `GET /v1/channels/{name}/push-key`; the function answers null until the key is usable (before
   * `start()`, or a broken key pair). Null: the channel takes no push subscriptions.
   */
  readonly vapidPublicKey: (() => string | null) | null
  /**
   * The connector keeps a session with the platform that must exist once (Telegram long polling:
   * a second poller gets 409; an IMAP IDLE or SMTP listener; a WhatsApp Web login). With several
   * daemons on one store (DESIGN §10) only the channel's owner starts it and sends its jobs;
   * stateless ones (webhooks, plain HTTP sends) run in every daemon.
   */
  readonly stateful: boolean
}

export type ChannelStateName =
  | 'connected'
  | 'connecting'
  | 'qr_required'
  | 'disconnected'
  | 'disabled'
  | 'error'
  /** A stateful channel another daemon runs (DESIGN §10): registered here, not started. */
  | 'standby'

export interface ChannelState {
  state: ChannelStateName
  /** A sentence a person can act on (the missing variable, the platform's reason …). */
  detail?: string
  /** WhatsApp Web pairing QR as a data: URL image, while `qr_required`. */
  qr?: string
}

export interface OutboundAttachment {
  id: string
  filename: string
  contentType: string
  size: number
  sha256: string
  /** Signed, expiring link to `GET /v1/attachments/{id}` on `server.public_url`. */
  url: string
  /** The bytes, read from the blob store. */
  read(): Promise<Buffer>
}

export interface OutboundPayload {
  /** Our message id (`msg_…`): use it as the platform's idempotency key where there is one. */
  messageId: string
  channel: string
  threadId: string
  /** The normalised address on this channel (chat id, E.164, email, LINE user id, subscription JSON …). */
  to: string
  contact: {
    id: string
    firstName: string | null
    lastName: string | null
  }
  /** The final rendered text (a template's title, body and signature included), if any. */
  text: string | null
  /** Set when a template was used; `variables` are the resolved values, in the order the template used them. */
  template: { name: string; variables: Record<string, string> } | null
  attachments: OutboundAttachment[]
  /** Email only. `inReplyTo` / `references` come from the thread's earlier email messages. */
  email: {
    from: string
    subject: string
    bcc: string[]
    inReplyTo: string | null
    references: string[]
    /**
     * The signed one-click unsubscribe URL (RFC 8058) for `List-Unsubscribe`; absent or null:
     * no header (no public URL to serve it on).
     */
    listUnsubscribe?: string | null
  } | null
  createdAt: string
  /** 1 on the first try. */
  attempt: number
  /** Aborted when the daemon stops or the send times out. */
  signal: AbortSignal
  /**
   * Call right before the request is written to the network (after any connect or queueing), if
   * the connector can tell. The dispatcher measures a channel's rate limits from that moment (what
   * the platform counts), not from the hand-over; without it, the hand-over is all it knows.
   */
  onWrite?: () => void
}

export interface SendResult {
  platformMessageId?: string
}

export type SendErrorKind = 'retry' | 'unreachable' | 'rejected'

/**
 * The only error a connector's `send()` throws. The dispatcher decides on `kind` alone:
 * `retry` backs off (or waits `retryAfterMs`), `unreachable` fails the message and marks the
 * identity unreachable, `rejected` fails the message. `possiblyDelivered` marks an outcome that is
 * unknown (a timeout after the request left): the retry may duplicate where the platform has no
 * idempotency key, and is counted.
 */
export class SendError extends Error {
  readonly kind: SendErrorKind
  readonly code: string
  readonly retryAfterMs: number | undefined
  readonly possiblyDelivered: boolean

  constructor(
    kind: SendErrorKind,
    code: string,
    message: string,
    opts: { retryAfterMs?: number; possiblyDelivered?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'SendError'
    this.kind = kind
    this.code = code
    this.retryAfterMs = opts.retryAfterMs
    this.possiblyDelivered = opts.possiblyDelivered ?? false
  }
}

export interface InboundAttachment {
  filename: string
  contentType: string
  data: Buffer
}

export interface InboundMessage {
  /** The platform's id for this message: inbound is deduplicated on (channel, platformMessageId). */
  platformMessageId: string
  from: {
    address: string
    firstName?: string
    lastName?: string
    /**
     * The platform's one-string name, as it gives it (WhatsApp profile name, LINE `displayName`,
     * an email `From:` phrase), when it has no separate first/last name. The gateway splits it
     * (rules `splitDisplayName`) and keeps the whole as the contact attribute `display_name`; a
     * connector reports it untouched rather than guessing the parts itself.
     */
    displayName?: string
    email?: string
    phone?: string
  }
  text: string | null
  attachments: InboundAttachment[]
  /** When the platform says it was sent (ISO-8601); default now. */
  sentAt?: string
  /** Email only: used to land a reply in the thread it answers. */
  email?: {
    subject: string | null
    messageId: string | null
    inReplyTo: string | null
    references: string[]
  }
}

export interface InboundResult {
  messageId: string
  contactId: string
  threadId: string
  /** False when this platform message id was already stored (a duplicate delivery). */
  created: boolean
}

export interface StatusUpdate {
  /** Ours (`msg_…`) or the platform's id, whichever the platform gives back. */
  messageId?: string
  platformMessageId?: string
  status: 'sent' | 'delivered' | 'read' | 'failed'
  error?: { code: string; message: string }
  at?: string
}

export interface ConnectorContext {
  log: Logger
  /** The data folder (sessions, generated keys live under it). */
  dataDir: string
  inbound(msg: InboundMessage): Promise<InboundResult>
  status(update: StatusUpdate): Promise<void>
  /** The platform says the person can (follow) or cannot (unfollow, subscription gone) be reached. */
  reachability(address: string, reachable: boolean): Promise<void>
  state(state: ChannelState): void
  /** Durable key/value for the connector (Telegram update offset, IMAP UID/UIDVALIDITY …). */
  kv: {
    get(key: string): Promise<string | null>
    /** Resolves once the value is stored (committed). */
    set(key: string, value: string): Promise<void>
  }
  /** Aborted when the daemon stops. */
  signal: AbortSignal
  /**
   * Where the connector's background loops (Telegram polling, IMAP, start-up rechecks) report
   * their ticks and errors, so `/readyz` and `/metrics` see a loop that stopped working. Names are
   * the connector's own (`polling`); the daemon scopes them to the channel. Optional: a test
   * context may leave it out.
   */
  loops?: LoopHealthSink
}

/**
 * The narrow side of the daemon's health board a loop reports to (SupervisedLoop does it): a loop
 * registers when it starts, ticks after each good pass (idle ones too), reports each failed pass
 * and unregisters when it stops on purpose.
 */
export interface LoopHealthSink {
  register(loop: string): void
  tick(loop: string): void
  error(loop: string): void
  unregister(loop: string): void
}

export interface Connector {
  readonly name: string
  readonly type: ChannelType
  readonly limits: ChannelLimits
  /** What the gateway may rely on or must do for this channel (ConnectorCapabilities). */
  readonly capabilities: ConnectorCapabilities
  start(ctx: ConnectorContext): Promise<void>
  send(out: OutboundPayload): Promise<SendResult>
  stop(): Promise<void>
  /**
   * Platform webhooks at `POST|GET /hooks/{type}/{name}`: verify the platform's signature and answer
   * (401 when it does not match). Only connectors that receive platform webhooks implement it.
   */
  handleHook?(req: Request): Promise<Response>
}

/** What every connector factory receives: its own config block (already validated) and shared bits. */
export interface ConnectorDeps {
  name: string
  /** `server.public_url`, for webhook registration and signed links. */
  publicUrl: string
  /** `security.allow_private_urls`. */
  allowPrivateUrls: boolean
  /** A config template's title (for channels that show one apart from the text, like Web Push). */
  templateTitle?: (name: string) => string | null
}
