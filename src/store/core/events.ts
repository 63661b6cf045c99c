/**
 * App events the gateway hands over as data and the store completes inside the transaction with
 * what only the transaction knows (the ids an inbound message got, a finished bulk's summary).
 */
import type { NewEvent } from '../types.js'

/**
 * The events with `fill` written into their data: keys the gateway placed (as null) keep their
 * place in the signed payload, missing ones are appended.
 */
export function withData(events: readonly NewEvent[], fill: Record<string, unknown>): NewEvent[] {
  return events.map((e) => ({ ...e, data: Object.assign({}, e.data, fill) }))
}
