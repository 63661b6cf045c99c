/**
 * Outbound: text → `sendMessage`; one attachment → `sendPhoto` / `sendDocument`; several → one
 * `sendMediaGroup` (a single request, so a retry never re-sends half an album). Text goes as the
 * caption of the first attachment.
 */
import { InputFile, InputMediaBuilder, type Api } from 'grammy'
import type { Message } from 'grammy/types'
import {
  SendError,
  type OutboundAttachment,
  type OutboundPayload,
  type SendResult,
} from '../types.js'
import { CHANNEL_LIMITS } from '../limits.js'
import { g } from './signals.js'

const LIMITS = CHANNEL_LIMITS.telegram
/** sendPhoto takes at most 10 MB and only these formats; anything else goes as a document. */
const PHOTO_BYTES_MAX = 10 * 1024 * 1024
const PHOTO_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp'])
/** A media group holds 2–10 items (Bot API). */
const MEDIA_GROUP_MAX = 10

/** Our platform message id: message ids are only unique within a chat. */
export function telegramMessageId(message: Pick<Message, 'chat' | 'message_id'>): string {
  return `${message.chat.id}:${message.message_id}`
}

/** Send one outbound payload; throws whatever grammY throws (mapped by the caller). */
export async function sendOutbound(api: Api, out: OutboundPayload): Promise<SendResult> {
  const { to, text, attachments, signal } = out
  if (attachments.length === 0) {
    if (!text) throw new SendError('rejected', 'empty_message', 'telegram: nothing to send')
    const sent = await api.sendMessage(to, text, {}, g(signal))
    return { platformMessageId: telegramMessageId(sent) }
  }
  if (text && LIMITS.captionMax !== null && text.length > LIMITS.captionMax) {
    // The rules refuse this before queueing; never cut a message short.
    throw new SendError(
      'rejected',
      'text_too_long',
      'telegram: caption longer than 1024 characters',
    )
  }
  if (attachments.length > MEDIA_GROUP_MAX) {
    throw new SendError('rejected', 'attachment_rejected', 'telegram: more than 10 attachments')
  }
  const caption = text ?? undefined
  const [first] = attachments
  if (attachments.length === 1 && first) {
    const file = await toInputFile(first)
    const sent = isPhoto(first)
      ? await api.sendPhoto(to, file, { caption }, g(signal))
      : await api.sendDocument(to, file, { caption }, g(signal))
    return { platformMessageId: telegramMessageId(sent) }
  }
  // Telegram cannot mix documents with photos in one album: then all go as documents.
  const files = await Promise.all(attachments.map(toInputFile))
  const options = (i: number): { caption?: string } => (i === 0 && caption ? { caption } : {})
  const media = attachments.every(isPhoto)
    ? files.map((f, i) => InputMediaBuilder.photo(f, options(i)))
    : files.map((f, i) => InputMediaBuilder.document(f, options(i)))
  const sent = await api.sendMediaGroup(to, media, {}, g(signal))
  const head = sent[0]
  return head ? { platformMessageId: telegramMessageId(head) } : {}
}

function isPhoto(a: OutboundAttachment): boolean {
  return PHOTO_TYPES.has(a.contentType.toLowerCase()) && a.size <= PHOTO_BYTES_MAX
}

async function toInputFile(a: OutboundAttachment): Promise<InputFile> {
  return new InputFile(await a.read(), a.filename)
}
