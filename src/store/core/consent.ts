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

/** Prefix of the timeline event ids a consent change writes (`te_` + the change's own ULID). */
const EVENT_ID_PREFIX = 'te_'

export function* recordConsent(c: ConsentChange): Program<ConsentOutcome | null> {
  if ((yield* tx.lockContact(c.contactId)) === null) return null
  const now = (yield* tx.consentStatus(c.contactId, c.channel)) ?? 'opted_in'
  if (now === c.status) return { changed: false, threadId: null }
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
    yield* tx.insertThreadEvent({
      id: EVENT_ID_PREFIX + c.id.replace(/^cs_/, ''),
      thread_id: threadId,
      contact_id: c.contactId,
      type: c.status,
      // The person themselves (a keyword, the email link), else the key that set it.
      actor: c.source.kind === 'keyword' || c.source.kind === 'one_click' ? 'contact' : actorOf(c),
      data: { channel: c.channel, source: c.source },
      at: c.now,
    })
  }
  if (c.events.length > 0) yield* tx.enqueueEvents(withData(c.events, { thread_id: threadId }))
  return { changed: true, threadId }
}

function actorOf(c: ConsentChange): string {
  return c.source.id ?? c.source.kind
}
