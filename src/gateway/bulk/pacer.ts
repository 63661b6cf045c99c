/**
 * Schedules bulk messages (their outbox `due_at`) at a share of the channel's rate, one bulk after
 * another on the same channel. The dispatcher still enforces the channel's limits on every send;
 * spacing the bulk at the source means its jobs never pile up as "due now" ahead of the rate, so
 * the dispatcher never has to reserve slots far into the future for them and a single send —
 * leased first anyway (outbox priority) — finds a free slot within a moment.
 */
import type { Pace } from './evaluate.js'

/**
 * Share of a channel's `rate.per_second` a bulk is scheduled at: the rest is always free for
 * single sends (replies, one-off messages) while a bulk runs.
 * @internal exported for tests
 */
export const BULK_SHARE = 0.8

export class BulkPacer {
  /** Per channel: the due time after the last bulk message scheduled on it (ms). */
  private readonly next = new Map<string, number>()

  /**
   * Where the next chunk of a bulk starts: after the channel's last scheduled bulk message, after
   * the bulk's own (`bulkNext`, kept in the store so a restart keeps the pace), and not before now.
   */
  pace(channel: string, perSecond: number, bulkNext: number, nowMs: number): Pace {
    const start = Math.max(nowMs, bulkNext, this.next.get(channel) ?? 0)
    return { start, intervalMs: 1000 / (Math.max(perSecond, 0.001) * BULK_SHARE) }
  }

  /** A chunk was committed: later chunks of the channel go after `nextDue`. */
  commit(channel: string, nextDue: number): void {
    this.next.set(channel, Math.max(this.next.get(channel) ?? 0, nextDue))
  }
}
