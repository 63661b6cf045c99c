/**
 * Consent changes (DESIGN §15), one transaction each: the contact locked and its version bumped
 * (a send decided on the old state comes back `stale` and is decided again, so none slips past
 * an opt-out that committed first), the state replaced, the history row, the timeline event on
 * the contact's thread of that channel and the app events. A change to the state the channel is
 * in already writes nothing: a second STOP is not a second opt-out, nor a second confirmation.
 */
import type { ConsentChange, ConsentOutcome } from '../types.js'
import { withData } from './events.js'
import { tx, type Program } from './program.js'
import { event } from './threads.js'

export function* recordConsent(change: ConsentChange): Program<ConsentOutcome | null> {
  const lock = yield* tx.lockContact(change.contactId)
  if (lock === null) return null
  // A merged contact's consent is its survivor's (DESIGN §15): an unsubscribe link mailed
  // before the merge opts the survivor out. Merges flatten chains: one step reaches it.
  const c = lock.merged_into ? { ...change, contactId: lock.merged_into } : change
  if (c !== change && (yield* tx.lockContact(c.contactId)) === null) return null
  const was = (yield* tx.consentStatus(c.contactId, c.channel)) ?? 'opted_in'
  if (was === c.status) return { changed: false, threadId: null }
  yield* tx.saveConsent({
    id: c.id,
    contact_id: c.contactId,
    channel: c.channel,
    status: c.status,
    at: c.now,
    source: c.source,
  })
  yield* tx.bumpContactVersion(c.contactId)
  const threadId = c.threadId ?? (yield* tx.latestThreadId(c.contactId, c.channel))
  if (threadId !== null) {
    // The person themselves (a keyword, the email link), else the key that set it.
    const byContact = c.source.kind === 'keyword' || c.source.kind === 'one_click'
    const actor = byContact ? 'contact' : (c.source.id ?? c.source.kind)
    const data = { channel: c.channel, source: c.source }
    yield* event(threadId, c.contactId, c.status, actor, data, c.now)
  }
  const ids = { contact_id: c.contactId, thread_id: threadId }
  if (c.events.length > 0) yield* tx.enqueueEvents(withData(c.events, ids))
  return { changed: true, threadId }
}
