/**
 * The part of pacing several daemons share (DESIGN §10, "rate limits are shared"): where the
 * store offers shared slots (`Store.pacing`, PostgreSQL), every send also takes a slot of its
 * channel and of its recipient that all daemons on the database draw from, and goes no earlier.
 * The in-process pacing (channel-pacing.ts) still applies on top: it is what spaces one daemon's
 * own sends by when they are written.
 *
 * Daemons write their requests at slightly different moments after their slots (a timer woken
 * late, a loaded core), which no daemon sees of another. So, as the wire spacing does in-process,
 * each limit's slots keep `SHARED_MARGIN_MS` more than its one-second window between a slot and
 * the one `n` later (n = the limit per second), and a send that reaches the wire more than
 * `SHARED_LATE_MS` after its slot takes a fresh one instead of going late: every send leaves
 * within that much of its slot, and the rest of the margin covers the write and the receiver.
 */
import type { SharedLimit } from '../../store/types.js'

/**
 * Every limit's `n` consecutive shared slots span this much more than its window (ms), for a
 * lateness allowed of `SHARED_LATE_MS` plus the write, the clocks' offset and the receiver's own
 * scheduling. 40 ms (96 % of a limit) let three daemons on a loaded 2-core machine put 11 sends
 * into one second at a 10/s receiver: sends of different daemons reach it with tens of ms of
 * jitter that no daemon sees. 100 ms keeps the limit there, at about 91 % of it; one daemon alone
 * (SQLite, P6) paces in memory and keeps its 98 %.
 */
const SHARED_MARGIN_MS = 100
/** A send may leave at most this long after its shared slot (ms); later, it takes a new one. */
export const SHARED_LATE_MS = 15
/** The margin is spread over at most this many slots (as the wire spacing's window). */
const MAX_WINDOW = 1024
/** Never closer than the in-process plan (channel-pacing.ts `RATE_HEADROOM`) at high rates. */
const RATE_HEADROOM = 0.98

/**
 * Ms between two shared slots of a limit of `perSecond` sends a second.
 * @internal exported for its tests
 */
export function sharedIntervalMs(perSecond: number): number {
  const n = Math.min(MAX_WINDOW, Math.max(1, Math.floor(perSecond)))
  return Math.max(1000 / perSecond + SHARED_MARGIN_MS / n, 1000 / (perSecond * RATE_HEADROOM))
}

/** The shared limits of a send on `channel` to `recipient`. */
export function sharedLimits(
  channel: string,
  recipient: string,
  rate: { per_second: number; per_recipient_per_second: number },
): SharedLimit[] {
  return [
    { key: `c:${channel}`, intervalMs: sharedIntervalMs(rate.per_second) },
    {
      key: `r:${channel}:${recipient}`,
      intervalMs: sharedIntervalMs(rate.per_recipient_per_second),
    },
  ]
}
