/**
 * One push on the wire: web-push's `generateRequestDetails()` encrypts the payload (aes128gcm) and
 * signs the VAPID JWT; undici posts it. web-push's own `sendNotification()` is not used: it takes
 * no AbortSignal (stop and the send deadline could not cut it short), opens a new TLS connection
 * per push instead of keeping one per push service, and speaks only https (no local test service).
 * web-push (with its ASN.1 and big-number code) is loaded with the first push: an idle daemon held
 * 0.5 MB of heap for it (DESIGN §8 P5).
 */
import { createHash } from 'node:crypto'
import { request, type Dispatcher } from 'undici'
import type * as WebPush from 'web-push'
import { SendError, type SendResult } from '../types.js'
import { fromNetworkError, fromStatus } from './send-error.js'
import type { PushSubscriptionJson } from './subscription.js'
import type { VapidKeys } from './vapid.js'

export type Urgency = 'very-low' | 'low' | 'normal' | 'high'

export interface PushOptions {
  vapid: VapidKeys & { subject: string }
  ttlS: number
  urgency: Urgency
  /** Our message id: the push `Topic`, so a retry replaces a copy still queued at the service. */
  messageId: string
}

export interface PreparedPush {
  url: URL
  headers: Record<string, string>
  body: Buffer
}

/** `Topic` allows 32 base64url characters: a digest of our id fits and says nothing about it. */
function topicFor(messageId: string): string {
  return createHash('sha256').update(messageId).digest('base64url').slice(0, 32)
}

/** Encrypts and signs; a subscription whose keys cannot be encrypted to is `subscription_invalid`. */
export async function preparePush(
  sub: PushSubscriptionJson,
  payload: Buffer,
  o: PushOptions,
): Promise<PreparedPush> {
  const webpush = (await import('web-push')).default
  let details: ReturnType<typeof WebPush.generateRequestDetails>
  try {
    details = webpush.generateRequestDetails(sub, payload, {
      vapidDetails: {
        subject: o.vapid.subject,
        publicKey: o.vapid.publicKey,
        privateKey: o.vapid.privateKey,
      },
      TTL: o.ttlS,
      urgency: o.urgency,
      topic: topicFor(o.messageId),
      contentEncoding: 'aes128gcm',
    })
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw new SendError(
      'rejected',
      'subscription_invalid',
      `the subscription cannot be encrypted to: ${why}`,
    )
  }
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(details.headers)) {
    // undici computes the length of the body itself.
    if (name.toLowerCase() !== 'content-length') headers[name] = String(value)
  }
  return { url: new URL(sub.endpoint), headers, body: details.body ?? Buffer.alloc(0) }
}

/** Posts the push; 2xx → the push resource (`Location`) as platform id, anything else a `SendError`. */
export async function postPush(
  push: PreparedPush,
  dispatcher: Dispatcher,
  signal: AbortSignal,
): Promise<SendResult & { status: number }> {
  let res: Dispatcher.ResponseData
  try {
    res = await request(push.url, {
      method: 'POST',
      headers: push.headers,
      body: push.body,
      dispatcher,
      signal,
    })
  } catch (err) {
    throw fromNetworkError(err)
  }
  const text = await res.body.text().catch(() => '')
  if (res.statusCode < 200 || res.statusCode > 299) {
    throw fromStatus(res.statusCode, res.headers['retry-after'], text)
  }
  const location = res.headers.location
  return typeof location === 'string'
    ? { status: res.statusCode, platformMessageId: location }
    : { status: res.statusCode }
}
