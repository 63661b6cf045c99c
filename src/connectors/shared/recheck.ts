/**
 * The start-up recheck LINE and WhatsApp Cloud share: when the platform could not be reached to
 * check the token at start, it is checked again on a doubling pause (≈ 1 s … 1 min) until it
 * answers, on the supervised loop `token-check` — an unreachable platform is the channel's state,
 * not an error of the loop; a check that throws is one (logged, counted, backed off).
 */
import type { ConnectorContext } from '../types.js'
import type { BackoffPolicy } from './backoff.js'
import { SupervisedLoop } from './supervised-loop.js'

/** A start-up check of a platform token: accepted, rejected, or not known yet (unreachable). */
export type CheckResult = 'ok' | 'rejected' | 'unknown'

/** First and longest pause between checks while the platform cannot be reached. */
const RECHECK: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 }

/**
 * Repeats `check` until it answers `ok` or `rejected`, or `signal` aborts; the first check is
 * the caller's, so this one waits first. Resolves when it is over.
 */
export function recheckUntilKnown(
  check: () => Promise<CheckResult>,
  ctx: Pick<ConnectorContext, 'log' | 'loops'>,
  signal: AbortSignal,
): Promise<void> {
  const loop = new SupervisedLoop({
    name: 'token-check',
    log: ctx.log,
    ...(ctx.loops ? { health: ctx.loops } : {}),
    signal,
    idleMs: 0,
    backoff: RECHECK,
    firstDelayMs: RECHECK.baseMs,
    tick: async () => ((await check()) === 'unknown' ? 'backoff' : 'done'),
  })
  loop.start()
  return loop.finished
}
