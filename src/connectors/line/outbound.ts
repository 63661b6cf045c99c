/**
 * Outbound: one push request per message, `X-Line-Retry-Key` derived from our message id. Text
 * becomes a text object, each attachment an image/video/audio object pointing at our signed link
 * (LINE fetches media from https URLs itself); at most 5 objects a request.
 */
import { HTTPFetchError, type messagingApi } from '@line/bot-sdk'
import {
  SendError,
  type OutboundAttachment,
  type OutboundPayload,
  type SendResult,
} from '../types.js'
import { withDeadline } from './deadline.js'
import { lineRetryKey } from './retry-key.js'

/** LINE accepts at most 5 message objects in one push. */
const MESSAGES_PER_REQUEST_MAX = 5
/**
 * LINE requires an audio message's length; Omnigate does not probe media files, so it states one
 * minute. LINE shows this in the bubble; the file plays in full whatever its real length.
 */
const AUDIO_DURATION_ASSUMED_MS = 60_000

type LineMessage = messagingApi.Message

/** Build the message objects for a payload (throws `rejected` for what LINE cannot carry). */
function toLineMessages(out: OutboundPayload): LineMessage[] {
  const messages: LineMessage[] = []
  if (out.text) messages.push({ type: 'text', text: out.text })
  for (const a of out.attachments) messages.push(mediaMessage(a))
  if (messages.length === 0)
    throw new SendError('rejected', 'empty_message', 'line: nothing to send')
  if (messages.length > MESSAGES_PER_REQUEST_MAX) {
    throw new SendError(
      'rejected',
      'attachment_rejected',
      'line: more than 5 message objects (text + 4 files)',
    )
  }
  return messages
}

function mediaMessage(a: OutboundAttachment): LineMessage {
  const type = a.contentType.toLowerCase()
  if (type.startsWith('image/')) {
    return { type: 'image', originalContentUrl: a.url, previewImageUrl: a.url }
  }
  if (type.startsWith('video/')) {
    // No preview frame of our own: LINE gets the video link and shows its placeholder.
    return { type: 'video', originalContentUrl: a.url, previewImageUrl: a.url }
  }
  if (type.startsWith('audio/')) {
    return { type: 'audio', originalContentUrl: a.url, duration: AUDIO_DURATION_ASSUMED_MS }
  }
  throw new SendError('rejected', 'attachment_rejected', `line: cannot send ${a.contentType} files`)
}

/** Push one payload. A 409 for our retry key means an earlier attempt was accepted: success. */
export async function pushOutbound(
  client: messagingApi.MessagingApiClient,
  out: OutboundPayload,
  timeoutMs: number,
): Promise<SendResult> {
  const messages = toLineMessages(out)
  const key = lineRetryKey(out.messageId)
  try {
    const res = await withDeadline(
      () => client.pushMessage({ to: out.to, messages }, key),
      out.signal,
      timeoutMs,
    )
    return idOf(res.sentMessages)
  } catch (err) {
    if (err instanceof HTTPFetchError && err.status === 409) return idOf(acceptedMessages(err.body))
    throw err
  }
}

function idOf(sent: Array<{ id: string }> | undefined): SendResult {
  const id = sent?.[0]?.id
  return id ? { platformMessageId: id } : {}
}

/** The 409 body may repeat the first attempt's `sentMessages` (ErrorResponse.sentMessages). */
function acceptedMessages(body: string): Array<{ id: string }> | undefined {
  try {
    return (JSON.parse(body) as { sentMessages?: Array<{ id: string }> }).sentMessages
  } catch {
    return undefined
  }
}
