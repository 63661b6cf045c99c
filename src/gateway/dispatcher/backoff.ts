/**
 * Retry delays: exponential with jitter in [50 %, 100 %] of the step, capped. A platform's
 * `Retry-After` wins over the curve (never retry before it), and it is not jittered downwards.
 */
import { exponentialDelay, type BackoffPolicy } from '../../connectors/shared/backoff.js'

export type { BackoffPolicy }

export function retryDelay(
  attempt: number,
  policy: BackoffPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return retryAfterMs
  return exponentialDelay(attempt, policy, [0.5, 1], random)
}
