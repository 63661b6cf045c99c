/**
 * Forward-only message status (DESIGN §3), the one rule: queued → sending → sent → delivered →
 * read; failed and cancelled are final. Steps may be skipped (a platform reports `read` without
 * `delivered`). The dialects' hot-path SQL (outcomes, leasing) takes its `WHERE status IN (…)`
 * lists from `movableFrom()`, so the rule is written here only.
 */
import type { MessageStatus } from '../types.js'

const RANK: Record<MessageStatus, number> = {
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  read: 4,
  failed: 5,
  cancelled: 5,
}

/** Every status, in the order they are reached (the PostgreSQL dialect counts bulk messages by them). */
export const MESSAGE_STATUSES = Object.keys(RANK) as readonly MessageStatus[]

/**
 * Whether `from` may move to `to`. `failed` is accepted up to `sent` (a bounce arrives after the
 * platform took the message) but not after `delivered`/`read`; `cancelled` only before `sent`
 * (nothing left our hands yet); nothing leaves `failed`/`cancelled`; a repeat is not a move.
 */
export function canAdvance(from: MessageStatus, to: MessageStatus): boolean {
  if (from === 'failed' || from === 'cancelled') return false
  if (to === 'failed') return RANK[from] <= RANK.sent
  if (to === 'cancelled') return RANK[from] < RANK.sent
  return RANK[to] > RANK[from]
}

/** The statuses a message may move to `to` from (canAdvance as a list, for SQL). */
export function movableFrom(to: MessageStatus): MessageStatus[] {
  return MESSAGE_STATUSES.filter((from) => canAdvance(from, to))
}
