/**
 * The one place where Bot API failures become `SendError`s (STYLE: errors mapped once at the edge).
 * Messages carry Telegram's own description, never the request URL: it holds the bot token.
 */
import { GrammyError, HttpError } from 'grammy'
import { SendError } from '../types.js'

/** Connection failures that happen before a request leaves: the message certainly was not sent. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

/** 400 descriptions that mean "this person cannot be reached", not "the request was wrong". */
const UNREACHABLE_400 = /chat not found|user not found|peer_id_invalid|bot can't initiate/i

/** Whether a Bot API error says the token itself is bad (404 is what an unknown token gets). */
export function isAuthError(err: unknown): err is GrammyError {
  return err instanceof GrammyError && (err.error_code === 401 || err.error_code === 404)
}

/** Map anything a send threw to the error kind the dispatcher acts on. */
export function toSendError(err: unknown): SendError {
  if (err instanceof SendError) return err
  if (err instanceof GrammyError) return fromGrammyError(err)
  if (err instanceof HttpError) {
    const cause = err.error as { code?: unknown } | undefined
    const notSent = typeof cause?.code === 'string' && NOT_SENT_CODES.has(cause.code)
    // The cause is left out on purpose: node-fetch's error message contains the URL with the token.
    return new SendError('retry', 'network', `telegram: ${err.message}`, {
      possiblyDelivered: !notSent,
    })
  }
  const message = err instanceof Error ? err.message : String(err)
  return new SendError('retry', 'internal', `telegram: ${message}`)
}

function fromGrammyError(err: GrammyError): SendError {
  const what = `telegram ${err.method}: ${err.error_code} ${err.description}`
  const code = err.error_code
  if (code === 429) {
    const seconds = err.parameters.retry_after ?? 1
    return new SendError('retry', 'rate_limited', what, { retryAfterMs: seconds * 1000 })
  }
  if (code === 401 || code === 404) return new SendError('rejected', 'auth', what)
  // 403: blocked by the user, user deactivated, can't initiate, kicked from the group
  if (code === 403) return new SendError('unreachable', 'blocked', what)
  if (code === 400 && UNREACHABLE_400.test(err.description)) {
    return new SendError('unreachable', 'chat_not_found', what)
  }
  if (code === 400) return new SendError('rejected', 'bad_request', what)
  if (code === 413) return new SendError('rejected', 'too_large', what)
  // A JSON error body means the Bot API itself answered and refused: the message was not sent.
  if (code >= 500) return new SendError('retry', 'platform_error', what)
  return new SendError('rejected', 'platform_rejected', what)
}

/**
 * A one-line description for logs and states. Only the message: a grammY `HttpError` keeps the
 * node-fetch error (whose message holds the URL, and so the token) in a property a log serialiser
 * would print.
 */
export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
