/**
 * Webhook payloads → the daemon: `value.messages[]` become inbound messages (text, captions,
 * button replies; image/document/audio/video/sticker media fetched by id), `value.statuses[]`
 * become status updates on our message by its `wamid`. Changes for another phone number of the
 * same business account are skipped.
 */
import type { Logger } from 'pino'
import type { ConnectorContext, InboundAttachment, InboundMessage, StatusUpdate } from '../types.js'
import { GraphApiError, type GraphClient } from './graph-client.js'
import { whatsappErrorCode } from './send-error.js'

interface WaMedia {
  id: string
  mime_type?: string
  caption?: string
  filename?: string
}

/** The webhook wire format, as much of it as we read. */
export interface WaMessage {
  id: string
  from: string
  timestamp?: string
  type: string
  text?: { body: string }
  image?: WaMedia
  document?: WaMedia
  audio?: WaMedia
  video?: WaMedia
  sticker?: WaMedia
  button?: { text?: string }
  interactive?: { button_reply?: { title?: string }; list_reply?: { title?: string } }
}

interface WaStatus {
  id: string
  status: string
  timestamp?: string
  /** The recipient's WhatsApp id (digits of the number). */
  recipient_id?: string
  errors?: Array<{
    code?: number
    title?: string
    message?: string
    error_data?: { details?: string }
  }>
}

export interface WaChangeValue {
  metadata?: { phone_number_id?: string }
  contacts?: Array<{ wa_id?: string; profile?: { name?: string } }>
  messages?: WaMessage[]
  statuses?: WaStatus[]
}

export interface WaWebhookBody {
  object?: string
  entry?: Array<{ changes?: Array<{ field?: string; value?: WaChangeValue }> }>
}

const MEDIA_KINDS = ['image', 'document', 'audio', 'video', 'sticker'] as const
const EXTENSIONS: Record<string, string> = {
  image: 'jpg',
  audio: 'ogg',
  video: 'mp4',
  sticker: 'webp',
  document: 'bin',
}
const STATUSES = new Set(['sent', 'delivered', 'read', 'failed'])
/** Failed-status codes (our names) that say the number cannot be reached, as on a send. */
const UNREACHABLE_CODES = new Set(['undeliverable', 'recipient_not_allowed'])

/** Deliver every message and status of one webhook body; throws when it must be redelivered. */
export async function deliverWebhook(
  body: WaWebhookBody,
  phoneNumberId: string,
  graph: GraphClient,
  ctx: ConnectorContext,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  for (const entry of body.entry ?? []) {
    for (const change of entry.changes ?? []) {
      const value = change.value
      if (change.field !== 'messages' || !value) continue
      if (value.metadata?.phone_number_id && value.metadata.phone_number_id !== phoneNumberId)
        continue
      for (const m of value.messages ?? []) {
        const name = value.contacts?.find((c) => c.wa_id === m.from)?.profile?.name
        const msg = await toInbound(m, name, graph, signal)
        if (msg) await ctx.inbound(msg)
        else log.info({ type: m.type }, 'whatsapp-cloud: skipped a message type we do not store')
      }
      for (const s of value.statuses ?? []) {
        const update = toStatus(s)
        if (!update) continue
        await ctx.status(update)
        // Meta mostly reports an undeliverable number here, after the send was accepted.
        if (s.recipient_id && update.error && UNREACHABLE_CODES.has(update.error.code))
          await ctx.reachability(`+${s.recipient_id}`, false)
      }
    }
  }
}

async function toInbound(
  m: WaMessage,
  name: string | undefined,
  graph: GraphClient,
  signal: AbortSignal,
): Promise<InboundMessage | null> {
  const kind = MEDIA_KINDS.find((k) => m.type === k && m[k])
  const media = kind ? m[kind] : undefined
  let text =
    m.text?.body ??
    media?.caption ??
    m.button?.text ??
    m.interactive?.button_reply?.title ??
    m.interactive?.list_reply?.title ??
    null
  const attachments: InboundAttachment[] = []
  if (kind && media) {
    const filename = media.filename ?? `${kind}-${media.id}.${EXTENSIONS[kind]}`
    try {
      const { data, contentType } = await download(media.id, graph, signal)
      attachments.push({
        filename,
        contentType: media.mime_type ?? contentType ?? 'application/octet-stream',
        data,
      })
    } catch (err) {
      // Media Meta no longer has (expired after 30 days, deleted): keep the message, say so.
      if (!(err instanceof GraphApiError && err.status >= 400 && err.status < 500)) throw err
      text = [text, `[attachment ${filename} could not be downloaded: ${err.details}]`]
        .filter(Boolean)
        .join('\n')
    }
  }
  if (text === null && attachments.length === 0) return null
  const phone = `+${m.from}`
  return {
    platformMessageId: m.id,
    from: { address: phone, phone, ...(name ? { displayName: name } : {}) },
    text,
    attachments,
    ...(m.timestamp ? { sentAt: new Date(Number(m.timestamp) * 1000).toISOString() } : {}),
  }
}

/** Media by id: Graph answers with a short-lived URL, downloaded with the same bearer token. */
async function download(
  mediaId: string,
  graph: GraphClient,
  signal: AbortSignal,
): Promise<{ data: Buffer; contentType: string | null }> {
  const meta = await graph.call<{ url?: string }>(
    'GET',
    encodeURIComponent(mediaId),
    undefined,
    signal,
  )
  if (!meta.url) throw new Error(`whatsapp-cloud: media ${mediaId} has no url`)
  return graph.download(meta.url, signal)
}

function toStatus(s: WaStatus): StatusUpdate | null {
  if (!STATUSES.has(s.status)) return null
  const update: StatusUpdate = {
    platformMessageId: s.id,
    status: s.status as StatusUpdate['status'],
    ...(s.timestamp ? { at: new Date(Number(s.timestamp) * 1000).toISOString() } : {}),
  }
  const e = s.errors?.[0]
  if (s.status === 'failed' && e) {
    const message = [e.title ?? e.message, e.error_data?.details].filter(Boolean).join(' — ')
    update.error = { code: whatsappErrorCode(e.code), message: message || 'failed' }
  }
  return update
}
