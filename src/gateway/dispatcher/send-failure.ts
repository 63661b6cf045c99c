/**
 * Error classification: whatever a send ended with becomes one `SendError` (`toSendError`), and a
 * `SendError` becomes one decision (`decideFailure`) on its kind alone (STYLE: retry by class):
 * `retry` backs off or waits the platform's Retry-After until `max_attempts`, `unreachable` and
 * `rejected` fail the message, and a send cut by our own stop goes back to the queue uncounted.
 */
import { SendError } from '../../connectors/types.js'
import type { MessageError } from '../../store/types.js'
import { retryDelay, type BackoffPolicy } from './backoff.js'

/** What becomes of a job whose send failed. */
export type FailureDecision =
  /** The gateway stopped mid-send: back to the queue, due now, no attempt counted. */
  | { kind: 'release' }
  /** Again in `delayMs`; `possibleDuplicate`: the failed try may have delivered (and may again). */
  | {
      kind: 'retry'
      delayMs: number
      error: MessageError
      possibleDuplicate: boolean
      /** The delay is the platform's Retry-After, not our backoff curve. */
      retryAfter: boolean
    }
  /** Failed for good; `unreachable`: the identity is marked unreachable too. */
  | { kind: 'fail'; error: MessageError; unreachable: boolean }

export interface FailureContext {
  /** 1 for the first try. */
  attempt: number
  maxAttempts: number
  backoff: BackoffPolicy
  /** The channel's platform dedupes by our message id (its `idempotentSends` capability). */
  idempotent: boolean
  /** The gateway is stopping. */
  stopping: boolean
}

/** The decision for a send that failed with `e` (pure but for the backoff's jitter). */
export function decideFailure(
  e: SendError,
  c: FailureContext,
  random: () => number = Math.random,
): FailureDecision {
  const error: MessageError = { code: e.code, message: e.message }
  if (e.kind === 'retry') {
    if (c.stopping && e.code === 'shutdown') return { kind: 'release' }
    if (c.attempt >= c.maxAttempts) {
      const gaveUp = { code: e.code, message: `gave up after ${c.attempt} attempts: ${e.message}` }
      return { kind: 'fail', error: gaveUp, unreachable: false }
    }
    return {
      kind: 'retry',
      delayMs: retryDelay(c.attempt, c.backoff, e.retryAfterMs, random),
      error,
      // Where the platform dedupes by our key, an unknown outcome cannot become a duplicate.
      possibleDuplicate: e.possiblyDelivered && !c.idempotent,
      retryAfter: e.retryAfterMs !== undefined,
    }
  }
  return { kind: 'fail', error, unreachable: e.kind === 'unreachable' }
}

/**
 * Anything a send threw, as a `SendError`: a connector's own as it is; an abort as `shutdown`
 * (our stop) or `timeout` (the send deadline), both possibly delivered; anything else, a connector
 * bug, as a retry.
 */
export function toSendError(err: unknown, signal: AbortSignal, stop: AbortSignal): SendError {
  if (err instanceof SendError) return err
  if (signal.aborted) {
    if (stop.aborted)
      return new SendError('retry', 'shutdown', 'the gateway stopped during the send', {
        possiblyDelivered: true,
      })
    return new SendError(
      'retry',
      'timeout',
      'the send timed out; the platform may have received it',
      { possiblyDelivered: true },
    )
  }
  // A connector bug is not the message's fault: retry, and the log says what broke.
  return new SendError('retry', 'connector_error', (err as Error)?.message ?? String(err))
}

/** A connector that ignores its signal still cannot hold a slot past the timeout. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
