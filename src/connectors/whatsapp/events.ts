/**
 * Turns whatsapp-web.js events into the connector contract's shapes: a received `Message` into an
 * `InboundMessage` (people only: groups, status updates, channels and broadcasts are not support
 * conversations), a `message_ack` level into a delivery status.
 */
import type { Logger } from 'pino'
import type { ConnectorContext, InboundAttachment, InboundMessage, StatusUpdate } from '../types.js'
import type { WhatsAppClientLike, WhatsAppMessage } from './client-like.js'

/** A person's chat id: the phone number's digits at `c.us`. */
const PERSON_CHAT = /^([1-9]\d{5,14})@c\.us$/

/** Message types that are events in a chat, not something a person wrote. */
const SKIPPED_TYPES = new Set([
  'e2e_notification',
  'notification',
  'notification_template',
  'gp2',
  'call_log',
  'protocol',
  'revoked',
  'ciphertext',
])

/** `MessageAck` levels (ACK_ERROR … ACK_PLAYED). */
const ACK = { ERROR: -1, PENDING: 0, SERVER: 1, DEVICE: 2, READ: 3, PLAYED: 4 } as const

/**
 * The status an ack level reports, or null when it says nothing new: PENDING/SERVER mean WhatsApp
 * has it, which `send()` returning already recorded as `sent`.
 */
function ackToStatus(ack: number): StatusUpdate['status'] | null {
  if (ack === ACK.ERROR) return 'failed'
  if (ack === ACK.DEVICE) return 'delivered'
  if (ack === ACK.READ || ack === ACK.PLAYED) return 'read'
  return null
}

/** `+4917…` from `4917…@c.us`; null for groups, broadcasts, channels and hidden (`@lid`) senders. */
function chatIdToAddress(chatId: string): string | null {
  const m = PERSON_CHAT.exec(chatId)
  return m ? `+${m[1]}` : null
}

/** Common file extensions for media WhatsApp sends without a filename (photos, voice notes). */
const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'video/mp4': 'mp4',
  'video/3gpp': '3gp',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'application/pdf': 'pdf',
}

function mediaFilename(messageId: string, mimetype: string): string {
  const base = mimetype.split(';')[0]?.trim() ?? ''
  const safeId = messageId.replace(/[^A-Za-z0-9]/g, '').slice(-16)
  return `whatsapp-${safeId}.${EXTENSIONS[base] ?? 'bin'}`
}

function notifyName(msg: WhatsAppMessage): string | undefined {
  const raw = msg.rawData as { notifyName?: unknown } | undefined
  const name = typeof raw?.notifyName === 'string' ? raw.notifyName.trim() : ''
  return name === '' ? undefined : name
}

/**
 * The inbound message for a received `Message`, or null when it is not from a person (or is ours).
 * Media that can no longer be downloaded is logged and left out: the text still arrives.
 */
async function toInbound(msg: WhatsAppMessage, log: Logger): Promise<InboundMessage | null> {
  if (msg.fromMe || msg.isStatus === true || msg.broadcast === true) return null
  if (SKIPPED_TYPES.has(msg.type)) return null
  const address = chatIdToAddress(msg.from)
  if (address === null) {
    if (msg.from.endsWith('@lid')) {
      log.warn(
        { platformMessageId: msg.id._serialized },
        'whatsapp: message from a hidden number (@lid) skipped',
      )
    }
    return null
  }
  const attachments: InboundAttachment[] = []
  if (msg.hasMedia) {
    try {
      const media = await msg.downloadMedia()
      if (media) {
        attachments.push({
          filename: media.filename ?? mediaFilename(msg.id._serialized, media.mimetype),
          contentType: media.mimetype.split(';')[0]?.trim() || 'application/octet-stream',
          data: Buffer.from(media.data, 'base64'),
        })
      } else {
        log.warn({ platformMessageId: msg.id._serialized }, 'whatsapp: media no longer available')
      }
    } catch (err) {
      log.warn({ err, platformMessageId: msg.id._serialized }, 'whatsapp: media download failed')
    }
  }
  const displayName = notifyName(msg)
  return {
    platformMessageId: msg.id._serialized,
    from: displayName === undefined ? { address } : { address, displayName },
    text: msg.body === '' ? null : msg.body,
    attachments,
    sentAt: new Date(msg.timestamp * 1000).toISOString(),
  }
}

/**
 * Forwards received messages to `ctx.inbound` and acks of our messages to `ctx.status`, while
 * `active()` holds (false once the connector stopped). Failures are logged: an event handler has
 * nobody to throw to.
 */
export function forwardMessages(
  c: WhatsAppClientLike,
  ctx: ConnectorContext,
  active: () => boolean,
): void {
  c.on('message', (msg: WhatsAppMessage) => {
    if (!active()) return
    void (async () => {
      const inbound = await toInbound(msg, ctx.log)
      if (inbound !== null) await ctx.inbound(inbound)
    })().catch((err: unknown) => ctx.log.error({ err }, 'whatsapp: inbound message not stored'))
  })
  c.on('message_ack', (msg: WhatsAppMessage, ack: number) => {
    const status = ackToStatus(ack)
    if (!active() || status === null || !msg.id.fromMe) return
    const update: StatusUpdate = {
      platformMessageId: msg.id._serialized,
      status,
      at: new Date().toISOString(),
    }
    if (status === 'failed') {
      update.error = { code: 'ack_error', message: 'WhatsApp reported the message as failed' }
    }
    ctx
      .status(update)
      .catch((err: unknown) => ctx.log.error({ err }, 'whatsapp: status not stored'))
  })
}
