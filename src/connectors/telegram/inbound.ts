/**
 * Inbound: a private-chat message (text, photo, document, video, audio, voice, with its caption)
 * becomes an `InboundMessage`; its files are fetched with `getFile` and downloaded from the Bot
 * API's file URL. Other chats (groups, channels) and other content (stickers, locations …) are
 * skipped: an identity is one person's chat with the bot.
 */
import { GrammyError, type Api } from 'grammy'
import type { Message } from 'grammy/types'
import { request } from 'undici'
import type { InboundAttachment, InboundMessage } from '../types.js'
import { telegramMessageId } from './outbound.js'
import { g } from './signals.js'

/** Messages, and block/unblock of the bot in private chats (reachability). */
export const ALLOWED_UPDATES = ['message', 'my_chat_member'] as const

/** The Bot API lets bots download files up to 20 MB; a little headroom for a self-hosted server. */
const DOWNLOAD_BYTES_MAX = 50 * 1024 * 1024
/** A file download is one GET; a stalled one must not hold the update loop. */
const DOWNLOAD_TIMEOUT_MS = 60_000

interface FileRef {
  fileId: string
  filename: string
  contentType: string
}

export interface FileSource {
  api: Api
  apiRoot: string
  token: string
}

/** Convert a message, or return null when it is not something we store. */
export async function toInbound(
  msg: Message,
  files: FileSource,
  signal: AbortSignal,
): Promise<InboundMessage | null> {
  if (msg.chat.type !== 'private') return null
  const text = msg.text ?? msg.caption ?? null
  const ref = fileRef(msg)
  if (text === null && ref === null) return null
  const attachments: InboundAttachment[] = []
  const notes: string[] = []
  if (ref) {
    try {
      attachments.push({ ...ref, data: await download(ref.fileId, files, signal) })
    } catch (err) {
      // A file Telegram will never hand out (over 20 MB): keep the message, say what is missing.
      if (!(err instanceof GrammyError && err.error_code === 400)) throw err
      notes.push(`[attachment ${ref.filename} could not be downloaded: ${err.description}]`)
    }
  }
  const from = msg.from
  return {
    platformMessageId: telegramMessageId(msg),
    from: {
      address: String(msg.chat.id),
      ...(from?.first_name ? { firstName: from.first_name } : {}),
      ...(from?.last_name ? { lastName: from.last_name } : {}),
    },
    text: [text, ...notes].filter((t) => t !== null).join('\n') || null,
    attachments,
    sentAt: new Date(msg.date * 1000).toISOString(),
  }
}

function fileRef(msg: Message): FileRef | null {
  if (msg.photo && msg.photo.length > 0) {
    // Telegram lists the sizes smallest first.
    const largest = msg.photo[msg.photo.length - 1]!
    return {
      fileId: largest.file_id,
      filename: `photo-${largest.file_unique_id}.jpg`,
      contentType: 'image/jpeg',
    }
  }
  const doc = msg.document ?? msg.video ?? msg.audio
  if (doc) {
    const fallback = msg.document
      ? 'application/octet-stream'
      : msg.video
        ? 'video/mp4'
        : 'audio/mpeg'
    return {
      fileId: doc.file_id,
      filename: doc.file_name ?? `file-${doc.file_unique_id}`,
      contentType: doc.mime_type ?? fallback,
    }
  }
  if (msg.voice) {
    return {
      fileId: msg.voice.file_id,
      filename: `voice-${msg.voice.file_unique_id}.ogg`,
      contentType: msg.voice.mime_type ?? 'audio/ogg',
    }
  }
  return null
}

async function download(fileId: string, src: FileSource, signal: AbortSignal): Promise<Buffer> {
  const file = await src.api.getFile(fileId, g(signal))
  if (!file.file_path) throw new Error(`telegram getFile gave no file_path for ${fileId}`)
  // This URL holds the token: it never goes into an error message or a log line.
  const url = `${src.apiRoot}/file/bot${src.token}/${file.file_path}`
  const res = await request(url, {
    signal: AbortSignal.any([signal, AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS)]),
  }).catch((err: unknown) => {
    // Re-thrown without the original: nothing that saw the URL travels further.
    const code = (err as { code?: unknown }).code
    throw new Error(
      `telegram file download failed (${typeof code === 'string' ? code : 'network'})`,
    )
  })
  if (res.statusCode !== 200) {
    await res.body.dump()
    throw new Error(`telegram file download answered ${res.statusCode}`)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length
    if (size > DOWNLOAD_BYTES_MAX) {
      res.body.destroy()
      throw new Error('telegram file download exceeds 50 MB')
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
