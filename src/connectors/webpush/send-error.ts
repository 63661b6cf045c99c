/**
 * The one place where push-service answers and network failures become `SendError`s (RFC 8030 and
 * what FCM, Mozilla autopush and Apple answer in practice). 404/410: the subscription is gone for
 * good (the browser unsubscribed or expired it); 429 and 5xx: try later, honouring Retry-After;
 * 401/403: our VAPID signature or key was refused; 413: too big; other 4xx: refused as sent.
 */
import { parseRetryAfter } from '../shared/retry-after.js'
import { SendError } from '../types.js'

function snippet(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim().slice(0, 200)
  return text === '' ? '' : `: ${text}`
}

/** The error for a non-2xx answer. */
export function fromStatus(
  status: number,
  retryAfter: string | string[] | undefined,
  body: string,
): SendError {
  const detail = snippet(body)
  if (status === 404 || status === 410) {
    return new SendError(
      'unreachable',
      'subscription_gone',
      `the push subscription no longer exists (${status})`,
    )
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter)
    return new SendError(
      'retry',
      'push_rate_limited',
      `the push service is rate limiting (429)${detail}`,
      retryAfterMs === undefined ? {} : { retryAfterMs },
    )
  }
  if (status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter)
    return new SendError(
      'retry',
      'push_unavailable',
      `the push service failed (${status})${detail}`,
      retryAfterMs === undefined ? {} : { retryAfterMs },
    )
  }
  if (status === 413) {
    return new SendError(
      'rejected',
      'text_too_long',
      `the push service refused the payload as too large (413)`,
    )
  }
  if (status === 401 || status === 403) {
    return new SendError(
      'rejected',
      'vapid_rejected',
      `the push service refused our VAPID signature (${status}); a subscription made with another applicationServerKey (changed vapid keys?) must be renewed by the site${detail}`,
    )
  }
  return new SendError(
    'rejected',
    'push_rejected',
    `the push service refused the push (${status})${detail}`,
  )
}

/** Failures before the request could have left: nothing was delivered. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
])

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/** The error for a request that got no answer (refused, reset, timed out, aborted). */
export function fromNetworkError(err: unknown): SendError {
  const code = errorCode(err)
  if (code === 'ERR_PRIVATE_ADDRESS') {
    return new SendError('rejected', 'endpoint_forbidden', (err as Error).message, { cause: err })
  }
  const notSent =
    code !== undefined &&
    (NOT_SENT.has(code) || code.startsWith('ERR_TLS') || code.includes('CERT'))
  const what = code ?? (err instanceof Error ? err.name : 'error')
  return new SendError('retry', 'push_network_error', `no answer from the push service (${what})`, {
    possiblyDelivered: !notSent,
    cause: err,
  })
}
