/**
 * One outbound message through WhatsApp Web: the number is looked up first (not on WhatsApp →
 * unreachable, nothing sent), then text, or each attachment as media with the text as the first
 * one's caption. Every failure leaves through `toSendError`.
 */
import { SendError, type OutboundPayload, type SendResult } from '../types.js'
import type { WhatsAppClientLike, WhatsAppMedia, WhatsAppMediaFactory } from './client-like.js'
import { sendOptionsFor } from './media.js'
import { toSendError } from './send-error.js'

const E164 = /^\+([1-9]\d{6,14})$/

function abortError(): Error {
  const err = new Error('aborted')
  err.name = 'AbortError'
  return err
}

/** whatsapp-web.js calls take no signal: stop waiting when `signal` fires (the call runs on). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError())
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError())
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** The chat id WhatsApp knows the number by (it may differ from the digits, e.g. in Brazil). */
async function chatIdFor(c: WhatsAppClientLike, out: OutboundPayload): Promise<string> {
  const digits = E164.exec(out.to)?.[1]
  if (digits === undefined) {
    throw new SendError('rejected', 'address_invalid', `${out.to} is not an E.164 phone number`)
  }
  try {
    const id = await abortable(c.getNumberId(digits), out.signal)
    if (id === null) {
      throw new SendError('unreachable', 'not_on_whatsapp', `${out.to} is not on WhatsApp`)
    }
    return id._serialized
  } catch (err) {
    throw toSendError(err, 'lookup')
  }
}

async function readMedia(
  out: OutboundPayload,
  makeMedia: WhatsAppMediaFactory,
): Promise<WhatsAppMedia[]> {
  const media: WhatsAppMedia[] = []
  for (const a of out.attachments) {
    let bytes: Buffer
    try {
      bytes = await a.read()
    } catch (err) {
      throw new SendError(
        'retry',
        'attachment_unreadable',
        `attachment ${a.id} could not be read`,
        {
          cause: err,
        },
      )
    }
    media.push(makeMedia(a.contentType, bytes.toString('base64'), a.filename, bytes.length))
  }
  return media
}

/** Sends `out`; the platform id is the text's, or the first attachment's (which carries the text). */
export async function sendOutbound(
  c: WhatsAppClientLike,
  out: OutboundPayload,
  makeMedia: WhatsAppMediaFactory,
): Promise<SendResult> {
  const chatId = await chatIdFor(c, out)
  // Every blob is read before anything is sent, so a missing one cannot leave half a message out.
  const media = await readMedia(out, makeMedia)
  const ids: string[] = []
  try {
    if (media.length === 0) {
      const msg = await abortable(c.sendMessage(chatId, out.text ?? ''), out.signal)
      return { platformMessageId: msg.id._serialized }
    }
    for (const [i, m] of media.entries()) {
      const caption = i === 0 && out.text ? out.text : undefined
      const msg = await abortable(
        c.sendMessage(chatId, m, sendOptionsFor(m.mimetype, caption)),
        out.signal,
      )
      ids.push(msg.id._serialized)
    }
    return { platformMessageId: ids[0] }
  } catch (err) {
    const mapped = toSendError(err, 'send')
    if (ids.length === 0 || mapped.possiblyDelivered || mapped.kind !== 'retry') throw mapped
    // Part of the message is out: a retry resends those parts, so it counts as a possible duplicate.
    throw new SendError('retry', mapped.code, mapped.message, {
      retryAfterMs: mapped.retryAfterMs,
      possiblyDelivered: true,
      cause: err,
    })
  }
}
