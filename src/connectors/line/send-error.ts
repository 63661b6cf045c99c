/**
 * The one place where LINE API failures become `SendError`s (STYLE: errors mapped once at the
 * edge). A 409 for our retry key is not an error at all: the caller treats it as sent.
 */
import { HTTPFetchError } from '@line/bot-sdk'
import { parseRetryAfter } from '../shared/retry-after.js'
import { SendError } from '../types.js'

/** Thrown by our own deadline around an SDK call (the SDK takes no AbortSignal). */
export class LineDeadlineError extends Error {
  constructor(readonly beforeSend: boolean) {
    super(
      beforeSend
        ? 'line: send cancelled before the request'
        : 'line: no answer before the deadline',
    )
    this.name = 'LineDeadlineError'
  }
}

/** Connection failures before a request leaves: the message certainly was not sent. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

/** LINE's error body: `{message, details: [{message, property}]}`. */
export function lineErrorText(err: HTTPFetchError): string {
  try {
    const body = JSON.parse(err.body) as {
      message?: string
      details?: Array<{ message?: string; property?: string }>
    }
    const details = (body.details ?? []).map((d) => `${d.property ?? ''}: ${d.message ?? ''}`)
    return [body.message ?? err.statusText, ...details].join('; ')
  } catch {
    return `${err.status} ${err.statusText}`
  }
}

export function isAuthError(err: unknown): err is HTTPFetchError {
  return err instanceof HTTPFetchError && err.status === 401
}

/** Map anything a push threw to the error kind the dispatcher acts on. */
export function toSendError(err: unknown): SendError {
  if (err instanceof SendError) return err
  if (err instanceof LineDeadlineError) {
    return new SendError('retry', 'timeout', err.message, { possiblyDelivered: !err.beforeSend })
  }
  if (err instanceof HTTPFetchError) return fromHttpError(err)
  if (err instanceof TypeError) {
    // fetch's "fetch failed", with the socket error as its cause
    const code = (err.cause as { code?: unknown } | undefined)?.code
    const notSent = typeof code === 'string' && NOT_SENT_CODES.has(code)
    const what = `line: ${err.message}${typeof code === 'string' ? ` (${code})` : ''}`
    // Possibly delivered, but the retry reuses the retry key: LINE delivers it once.
    return new SendError('retry', 'network', what, { possiblyDelivered: !notSent })
  }
  return new SendError(
    'retry',
    'internal',
    `line: ${err instanceof Error ? err.message : String(err)}`,
  )
}

function fromHttpError(err: HTTPFetchError): SendError {
  const what = `line: ${err.status} ${lineErrorText(err)}`
  if (err.status === 429) {
    // The same status says "monthly message quota used up": retrying will not help this month.
    if (/monthly limit/i.test(err.body)) return new SendError('rejected', 'quota_exceeded', what)
    // "Now" (0 or a past date) is no hint after a refusal: the dispatcher's backoff applies.
    const retryAfterMs = parseRetryAfter(err.headers.get('retry-after'))
    return new SendError('retry', 'rate_limited', what, {
      ...(retryAfterMs ? { retryAfterMs } : {}),
    })
  }
  if (err.status === 401) return new SendError('rejected', 'auth', what)
  if (err.status === 403) return new SendError('rejected', 'forbidden', what)
  if (err.status === 400) return new SendError('rejected', 'bad_request', what)
  if (err.status >= 500) return new SendError('retry', 'platform_error', what)
  return new SendError('rejected', 'platform_rejected', what)
}
