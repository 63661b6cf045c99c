/**
 * Automation firings (DESIGN §14), decided once for both dialects. A firing is recorded BEFORE
 * the automation acts (claim, then send): a crash in between loses that one action rather than
 * repeating it after the restart — a greeting is never sent twice. The contact's row lock orders
 * two claims for one person (PostgreSQL; SQLite's one writer is exclusive), so `once_per` holds
 * even if a trigger were handled twice at once; the primary key (automation, trigger_key) makes a
 * trigger seen twice fire once.
 */
import type { AutomationFiring, FiringClaim, NewEvent } from '../types.js'
import { tx, type Program } from './program.js'

export function* claimFiring(f: AutomationFiring): Program<FiringClaim> {
  if ((yield* tx.lockContact(f.contactId)) === null) return 'no_contact'
  if (f.oncePerMs !== null) {
    const last = yield* tx.lastAutomationFiring(f.automation, f.contactId)
    if (last !== null && Date.parse(f.at) - Date.parse(last) < f.oncePerMs) return 'too_soon'
  }
  const inserted = yield* tx.insertAutomationFiring({
    automation: f.automation,
    trigger_key: f.triggerKey,
    contact_id: f.contactId,
    thread_id: f.threadId,
    fired_at: f.at,
  })
  return inserted ? 'claimed' : 'seen'
}

export function* skipFiring(
  automation: string,
  triggerKey: string,
  code: string,
  events: NewEvent[],
): Program<void> {
  yield* tx.skipAutomationFiring(automation, triggerKey, code)
  if (events.length > 0) yield* tx.enqueueEvents(events)
}
