/**
 * Reconnect pacing for the browser session: exponential with jitter and a cap, so a WhatsApp outage
 * or a flapping network does not restart Chromium in a tight loop.
 */
import { exponentialDelay, type BackoffPolicy } from '../shared/backoff.js'

export type Backoff = BackoffPolicy

/**
 * 5 s first: a dropped socket usually comes back within seconds; 5 min cap: each attempt starts a
 * browser (≈ 200 MB, seconds of CPU), and a long outage is not shortened by trying more often.
 */
export const DEFAULT_RECONNECT_BACKOFF: Backoff = { baseMs: 5_000, maxMs: 300_000 }

/**
 * Delay before reconnect attempt `attempt` (1-based): `base · 2^(attempt-1)`, capped, then scaled
 * by a random factor in [0.8, 1.2] so several daemons behind one NAT don't reconnect in step.
 */
export function reconnectDelay(
  attempt: number,
  backoff: Backoff,
  random: () => number = Math.random,
): number {
  return exponentialDelay(attempt, backoff, [0.8, 1.2], random)
}
