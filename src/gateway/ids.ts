/**
 * Opaque, time-sortable ids with a type prefix (DESIGN §3). Monotonic within one process so ids
 * made in the same millisecond still sort in creation order.
 */
import { ulidFactory } from '../store/core/ulid.js'

const next = ulidFactory()

/** The prefixes of the ids `newId()` makes: contact, identity, thread, message, attachment, event, bulk, consent change. */
const NEW_ID_PREFIXES = ['ct', 'id', 'th', 'msg', 'att', 'ev', 'bk', 'cs'] as const

export type IdPrefix = (typeof NEW_ID_PREFIXES)[number]

/**
 * Every prefix an id in the API carries: those `newId()` makes, and `te` of thread events, which
 * the store numbers itself (`te_` + a ULID, at the insert). The docs test checks examples with it.
 * @internal exported for tests
 */
export const ID_PREFIXES: readonly string[] = [...NEW_ID_PREFIXES, 'te']

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${next().toLowerCase()}`
}
