/**
 * Opaque, time-sortable ids with a type prefix (DESIGN §3). Monotonic within one process so ids
 * made in the same millisecond still sort in creation order.
 */
import { monotonicFactory } from 'ulid'

const next = monotonicFactory()

/** Every id's type prefix: contact, identity, thread, message, attachment, event, bulk, thread event. */
export const ID_PREFIXES = ['ct', 'id', 'th', 'msg', 'att', 'ev', 'bk', 'te'] as const

export type IdPrefix = (typeof ID_PREFIXES)[number]

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${next().toLowerCase()}`
}
