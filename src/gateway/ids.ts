/**
 * Opaque, time-sortable ids with a type prefix (DESIGN §3). Monotonic within one process so ids
 * made in the same millisecond still sort in creation order.
 */
import { monotonicFactory } from 'ulid'

const next = monotonicFactory()

export type IdPrefix = 'ct' | 'id' | 'th' | 'msg' | 'att' | 'ev' | 'bk' | 'te'

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${next().toLowerCase()}`
}
