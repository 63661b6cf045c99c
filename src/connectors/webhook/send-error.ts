/**
 * Where a relay's answer becomes a `SendResult` or a `SendError`: the one place the webhook
 * channel classifies outcomes (STYLE: errors are classified at the edge, once).
 */
import { parseRetryAfter } from '../shared/retry-after.js'
import { SendError, type SendResult } from '../types.js'
import type { RelayAnswer, RelayTransportError } from './relay-request.js'

const EXCERPT_CHARS = 200 // enough to show the relay's reason in the message's error, no page dump

/** The relay's answer as one short line, for error messages. */
function excerpt(body: Buffer): string {
  const text = body.toString('utf8').replace(/\s+/g, ' ').trim()
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS - 1)}…` : text
}

function platformMessageId(body: Buffer): string | undefined {
  const text = body.toString('utf8').trim()
  if (!text.startsWith('{')) return undefined // a 2xx needs no body; a non-JSON one is ignored
  try {
    const id = (JSON.parse(text) as { platform_message_id?: unknown }).platform_message_id
    if (typeof id === 'string' && id !== '') return id
    if (typeof id === 'number' && Number.isFinite(id)) return String(id)
  } catch {
    // not JSON after all: the send still succeeded
  }
  return undefined
}

/** True for answers that mean the relay refused our signature or credentials. */
export function isAuthFailure(status: number): boolean {
  return status === 401 || status === 403
}

/**
 * Maps a complete HTTP answer: 2xx returns (sent); otherwise throws `SendError`. 429, 5xx and 408
 * retry (honouring `Retry-After`); 401/403 retry too (the secret differs on the two sides: the
 * messages wait while the channel shows the error, instead of failing one by one); any other 4xx
 * (404 and 410 included: the relay is the app, not the person) is rejected.
 */
export function fromAnswer(answer: RelayAnswer, now: number = Date.now()): SendResult {
  const { status } = answer
  if (status >= 200 && status <= 299) {
    const id = platformMessageId(answer.body)
    return id === undefined ? {} : { platformMessageId: id }
  }
  const code = `http_${status}`
  const said = excerpt(answer.body)
  const message = `the relay answered ${status}${said ? `: ${said}` : ''}`
  if (status === 429 || status >= 500 || status === 408 || isAuthFailure(status)) {
    const retryAfterMs = parseRetryAfter(answer.headers['retry-after'], now)
    throw new SendError('retry', code, message, { retryAfterMs })
  }
  throw new SendError('rejected', code, message)
}

/** Maps a request that got no answer: always a retry, possibly delivered if it had gone out. */
export function fromTransport(err: RelayTransportError): SendError {
  const code = err.reason === 'aborted' ? 'aborted' : 'network'
  const what =
    err.reason === 'timeout'
      ? 'the relay did not answer in time'
      : err.reason === 'aborted'
        ? 'the send was aborted'
        : `the relay could not be reached${err.errorCode ? ` (${err.errorCode})` : ''}`
  const when = err.sent
    ? 'after the request went out: it may have arrived'
    : 'before anything was sent'
  return new SendError('retry', code, `${what}, ${when}`, {
    possiblyDelivered: err.sent,
    cause: err,
  })
}
