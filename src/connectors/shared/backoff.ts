/**
 * Exponential backoff with jitter and a cap, shared by the connectors, the dispatcher and the
 * supervised loop (network errors and 5xx back off; STYLE.md "retry by class"). The abortable
 * pauses themselves are the supervised loop's (supervised-loop.ts).
 */

export interface BackoffPolicy {
  /** First delay (ms). */
  baseMs: number
  /** Largest delay (ms). */
  maxMs: number
}

/**
 * Delay before try `attempt` (1-based): `base · 2^(attempt-1)`, capped, then scaled by a random
 * factor in [`jitter[0]`, `jitter[1]`] so many clients don't retry in step.
 */
export function exponentialDelay(
  attempt: number,
  policy: BackoffPolicy,
  jitter: readonly [number, number] = [0.5, 1],
  random: () => number = Math.random,
): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(step * (jitter[0] + (jitter[1] - jitter[0]) * random()))
}
