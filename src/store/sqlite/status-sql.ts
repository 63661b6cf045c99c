/**
 * The forward-only status rule (core/message-status.ts) as SQL text: the hot-path statements of
 * the outbox move a message with `CASE WHEN status IN (…)` / `WHERE status IN (…)` instead of a
 * read per row, and take those lists from the rule rather than spelling them out again.
 */
import { movableFrom } from '../core/message-status.js'
import type { MessageStatus } from '../types.js'

/** `'queued', 'sending'`: the statuses a message may move to `to` from, as an SQL list. */
export function fromStatuses(to: MessageStatus): string {
  return movableFrom(to)
    .map((s) => `'${s}'`)
    .join(', ')
}
