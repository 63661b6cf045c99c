/** How a bulk looks in the API and in its `bulk.done` event. */
import type { BulkCounts, BulkRecord } from '../../store/types.js'

/**
 * `checked` recipients of `total` have been through the rules so far; `eligible + Σ skipped =
 * checked`, and the counts are final once `checked = total`. `counts` are the bulk's messages per
 * status. `error` says why a `failed` bulk failed (`corrupt_record`).
 */
export function bulkView(b: BulkRecord, counts: BulkCounts): Record<string, unknown> {
  const spec = b.spec
  return {
    id: b.id,
    channel: b.channel,
    status: b.status,
    total: b.total,
    checked: b.checked,
    eligible: b.eligible,
    skipped: b.skipped,
    counts,
    author: b.author,
    filter: spec.filter ?? null,
    text: spec.text ?? null,
    template: spec.template ?? null,
    created_at: b.created_at,
    cancelled_at: b.cancelled_at,
    finished_at: b.finished_at,
    error: b.error ?? null,
    // Only on a damaged row: the columns shown empty because they could not be read.
    ...(b.unreadable ? { unreadable: b.unreadable } : {}),
  }
}
