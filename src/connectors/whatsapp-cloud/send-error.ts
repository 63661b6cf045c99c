/**
 * The one place where Graph API failures become `SendError`s (STYLE: errors mapped once at the
 * edge), and the names we give WhatsApp's error codes (also used for failed statuses).
 */
import { errors as undiciErrors } from 'undici'
import { SendError } from '../types.js'
import { GraphApiError } from './graph-client.js'

/** Throughput and spam limits: the same request succeeds later. */
const RATE_LIMIT_CODES = new Set([
  4, // application request limit
  80007, // WhatsApp Business Account rate limit
  130429, // Cloud API throughput reached
  131048, // spam rate limit
  131056, // too many messages to the same recipient (pair rate limit)
])
/** Temporary platform trouble Meta names as such. */
const TEMPORARY_CODES = new Set([1, 2, 131000, 133004])
/** Connection failures before a request leaves: the message certainly was not sent. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
])

/** Our name for a WhatsApp error code (stored as the message's error code). */
export function whatsappErrorCode(code: number | undefined): string {
  if (code === undefined) return 'platform_rejected'
  if (code === 131047) return 'template_required' // re-engagement: outside the 24 h window
  if (code === 131026) return 'undeliverable' // not a WhatsApp user, or cannot receive
  if (code === 131030) return 'recipient_not_allowed' // test numbers: not in the allowed list
  if (code === 190) return 'auth'
  if (RATE_LIMIT_CODES.has(code)) return 'rate_limited'
  return `whatsapp_${code}`
}

/** A rejected or expired access token (HTTP 401 / OAuth code 190). */
export function isAuthError(err: unknown): boolean {
  return err instanceof GraphApiError && (err.status === 401 || err.code === 190)
}

/** Map anything a send threw to the error kind the dispatcher acts on. */
export function toSendError(err: unknown, signal: AbortSignal): SendError {
  if (err instanceof SendError) return err
  if (err instanceof GraphApiError) return fromGraphError(err)
  const code = (err as { code?: unknown } | null)?.code
  const text = `whatsapp-cloud: ${err instanceof Error ? err.message : String(err)}`
  if (typeof code === 'string' && NOT_SENT_CODES.has(code))
    return new SendError('retry', 'network', text)
  if (
    signal.aborted ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
  ) {
    // No idempotency key in the Cloud API: a retry may deliver twice, and is counted as such.
    return new SendError('retry', 'timeout', text, { possiblyDelivered: true })
  }
  return new SendError('retry', 'network', text, { possiblyDelivered: true })
}

function fromGraphError(err: GraphApiError): SendError {
  const code = whatsappErrorCode(err.code)
  if (isAuthError(err)) return new SendError('rejected', 'auth', err.message)
  if (err.status === 429 || (err.code !== undefined && RATE_LIMIT_CODES.has(err.code))) {
    return new SendError('retry', 'rate_limited', err.message, {
      ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
    })
  }
  if (err.code === 131047) return new SendError('rejected', code, err.message)
  if (err.code === 131026 || err.code === 131030)
    return new SendError('unreachable', code, err.message)
  if (err.status >= 500 || (err.code !== undefined && TEMPORARY_CODES.has(err.code))) {
    return new SendError('retry', 'platform_error', err.message)
  }
  return new SendError('rejected', code, err.message)
}
