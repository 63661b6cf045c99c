/**
 * What a push carries: a small JSON the site's service worker turns into a notification. Push
 * services accept 4096 bytes of encrypted body (RFC 8030 §7.2), so the plaintext budget is what is
 * left after the aes128gcm framing (RFC 8188, RFC 8291 §4).
 */
import type { OutboundPayload } from '../types.js'

/** Largest body a push service must accept: 4096 octets. */
const PUSH_BODY_MAX = 4096
/** aes128gcm header for Web Push: salt 16 + record size 4 + key-id length 1 + key id (P-256 point) 65. */
const AES128GCM_HEADER = 16 + 4 + 1 + 65
/** One record: the GCM tag (16) and the final-record padding delimiter (1). */
const AES128GCM_RECORD_OVERHEAD = 16 + 1
/** 3993 bytes of JSON fit in one 4096-byte push body. */
export const PAYLOAD_MAX_BYTES = PUSH_BODY_MAX - AES128GCM_HEADER - AES128GCM_RECORD_OVERHEAD

/** The JSON the service worker receives (`event.data.json()`). */
export interface PushPayload {
  title: string
  text: string
  /** Where a click on the notification goes (a template variable `url`). */
  url?: string
  /** Our message id, so the site can report or dedupe. */
  message_id: string
}

function httpUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  try {
    const url = new URL(value)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined
  } catch {
    return undefined
  }
}

/**
 * The notification for `out`: titled by its template's title or else `fallbackTitle` (the channel
 * name). The rendered text starts with the rendered title (templates render as title, body and
 * signature joined by blank lines), so that first paragraph becomes the title and leaves the body;
 * `templateTitle` is the template's title as written, variables unrendered.
 */
export function buildPayload(
  out: OutboundPayload,
  templateTitle: string | null,
  fallbackTitle: string,
): PushPayload {
  let text = out.text ?? ''
  let title = fallbackTitle
  if (templateTitle !== null && templateTitle.trim() !== '') {
    const [first = '', ...rest] = text.split('\n\n')
    const rendered = templateTitle.includes('{{') ? first : templateTitle
    if (first === rendered && rendered.trim() !== '') {
      title = rendered
      text = rest.join('\n\n')
    } else {
      title = templateTitle.includes('{{') ? fallbackTitle : templateTitle
    }
  }
  const payload: PushPayload = { title, text, message_id: out.messageId }
  const url = httpUrl(out.template?.variables.url)
  if (url !== undefined) payload.url = url
  return payload
}

/** The payload as the bytes that get encrypted. */
export function encodePayload(payload: PushPayload): Buffer {
  return Buffer.from(JSON.stringify(payload), 'utf8')
}
