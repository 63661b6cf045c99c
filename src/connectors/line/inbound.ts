/**
 * Webhook events → the daemon: `message` events from a user become inbound messages (text;
 * image/video/audio/file content downloaded from the data API), `follow` / `unfollow` change the
 * user's reachability. Group and room sources, stickers and locations are skipped: an identity is
 * one person's chat with the official account.
 */
import { HTTPFetchError, type messagingApi } from '@line/bot-sdk'
import type { Logger } from 'pino'
import type { ConnectorContext, InboundAttachment, InboundMessage } from '../types.js'
import { withDeadline } from './deadline.js'
import { lineErrorText } from './send-error.js'

/** LINE accepts files up to 300 MB from users; a daemon holding that in memory is not worth it. */
const CONTENT_BYTES_MAX = 50 * 1024 * 1024
/** Profiles looked up once per user and process: names change rarely, lookups cost a request. */
const PROFILE_CACHE_MAX = 1000

/** The webhook wire format, as much of it as we read. */
export interface LineEvent {
  type: string
  timestamp?: number
  source?: { type: string; userId?: string }
  message?: {
    id: string
    type: string
    text?: string
    fileName?: string
    contentProvider?: { type: string }
  }
}

export interface LineClients {
  api: messagingApi.MessagingApiClient
  blob: messagingApi.MessagingApiBlobClient
}

const MEDIA_TYPES: Record<string, { ext: string; fallback: string }> = {
  image: { ext: 'jpg', fallback: 'image/jpeg' },
  video: { ext: 'mp4', fallback: 'video/mp4' },
  audio: { ext: 'm4a', fallback: 'audio/m4a' },
  file: { ext: 'bin', fallback: 'application/octet-stream' },
}

export class LineInbound {
  private readonly names = new Map<string, string | null>()

  constructor(
    private readonly clients: LineClients,
    private readonly log: Logger,
    /** Deadline of each content download and profile lookup. */
    private readonly timeoutMs: number,
  ) {}

  /** Hand one event to the daemon; throws when it must be redelivered (store/download failed). */
  async handle(ev: LineEvent, ctx: ConnectorContext, signal: AbortSignal): Promise<void> {
    const userId = ev.source?.type === 'user' ? ev.source.userId : undefined
    if (!userId) return
    if (ev.type === 'follow' || ev.type === 'unfollow') {
      await ctx.reachability(userId, ev.type === 'follow')
      return
    }
    if (ev.type !== 'message' || !ev.message) return
    const msg = await this.toInbound(ev, ev.message, userId, signal)
    if (msg) await ctx.inbound(msg)
    else this.log.info({ type: ev.message.type }, 'line: skipped a message type we do not store')
  }

  private async toInbound(
    ev: LineEvent,
    m: NonNullable<LineEvent['message']>,
    userId: string,
    signal: AbortSignal,
  ): Promise<InboundMessage | null> {
    let text: string | null = m.type === 'text' ? (m.text ?? '') : null
    const attachments: InboundAttachment[] = []
    const media = Object.hasOwn(MEDIA_TYPES, m.type) ? MEDIA_TYPES[m.type] : undefined
    if (media) {
      const filename = m.fileName ?? `${m.type}-${m.id}.${media.ext}`
      try {
        const { data, contentType } = await this.download(m.id, signal)
        attachments.push({ filename, contentType: contentType ?? media.fallback, data })
      } catch (err) {
        // Content LINE no longer has (expired) or never had: keep the message, say what is missing.
        if (!(err instanceof HTTPFetchError && err.status >= 400 && err.status < 500)) throw err
        text = `[attachment ${filename} could not be downloaded: ${lineErrorText(err)}]`
      }
    }
    if (text === null && attachments.length === 0) return null
    const name = await this.displayName(userId, signal)
    return {
      platformMessageId: m.id,
      from: { address: userId, ...(name ? { displayName: name } : {}) },
      text,
      attachments,
      ...(ev.timestamp ? { sentAt: new Date(ev.timestamp).toISOString() } : {}),
    }
  }

  private async download(
    id: string,
    signal: AbortSignal,
  ): Promise<{ data: Buffer; contentType: string | null }> {
    const res = await withDeadline(
      () => this.clients.blob.getMessageContentWithHttpInfo(id),
      signal,
      this.timeoutMs,
    )
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length
      if (size > CONTENT_BYTES_MAX) {
        res.body.destroy()
        throw new Error(`line: content of message ${id} exceeds 50 MB`)
      }
      chunks.push(chunk as Buffer)
    }
    return {
      data: Buffer.concat(chunks),
      contentType: res.httpResponse.headers.get('content-type'),
    }
  }

  /** The LINE display name as first name; a failed lookup only costs the name. */
  private async displayName(userId: string, signal: AbortSignal): Promise<string | null> {
    const known = this.names.get(userId)
    if (known !== undefined) return known
    try {
      const profile = await withDeadline(
        () => this.clients.api.getProfile(userId),
        signal,
        this.timeoutMs,
      )
      if (this.names.size >= PROFILE_CACHE_MAX) this.names.delete(this.names.keys().next().value!)
      this.names.set(userId, profile.displayName)
      return profile.displayName
    } catch (err) {
      this.log.warn(
        { reason: err instanceof Error ? err.message : String(err) },
        'line: profile lookup failed',
      )
      return null
    }
  }
}
