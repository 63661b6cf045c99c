/**
 * Retry delays: exponential with full jitter in [50 %, 100 %] of the step, capped. A platform's
 * `Retry-After` wins over the curve (never retry before it), and it is not jittered downwards.
 */
export interface BackoffPolicy {
  baseMs: number
  maxMs: number
}

export function retryDelay(
  attempt: number,
  policy: BackoffPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return retryAfterMs
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(step * (0.5 + random() * 0.5))
}
