/**
 * Recording a consent change (DESIGN §15), whoever asks: an inbound keyword, the email one-click
 * link, or an API key. One store transaction writes the state, the history row, the timeline event
 * and the `contact.opted_out` / `contact.opted_in` app events; the live copies follow the commit.
 */
import type { ConsentOutcome, ConsentSource, ConsentStatus } from '../../store/types.js'
import { newId } from '../ids.js'
import { recordEvents } from '../live/index.js'
import type { Services } from '../services.js'

export interface ConsentRequest {
  contactId: string
  channel: string
  status: ConsentStatus
  source: ConsentSource
  /** The thread whose timeline shows it (an inbound keyword's); else the store picks one. */
  threadId?: string
}

/** Records the change; `changed: false` when the channel was in that state already; null: no contact. */
export async function changeConsent(
  svc: Services,
  r: ConsentRequest,
): Promise<ConsentOutcome | null> {
  const now = svc.now().toISOString()
  const told = recordEvents(svc.events)
  // thread_id: filled in by the store (null keeps its place in the signed payload).
  const data = {
    contact_id: r.contactId,
    channel: r.channel,
    status: r.status,
    thread_id: null,
    source: r.source,
    at: now,
  }
  const events = told.events(
    r.status === 'opted_out' ? 'contact.opted_out' : 'contact.opted_in',
    data,
    now,
  )
  const out = await svc.store.consent.record({
    id: newId('cs'),
    contactId: r.contactId,
    channel: r.channel,
    status: r.status,
    source: r.source,
    now,
    ...(r.threadId === undefined ? {} : { threadId: r.threadId }),
    events,
  })
  if (out?.changed) {
    svc.log.info(
      { component: 'consent', contact_id: r.contactId, channel: r.channel, source: r.source.kind },
      r.status === 'opted_out' ? 'contact opted out' : 'contact opted in',
    )
    svc.live.publish(
      told.taken().map((e) => ({ ...e, data: { ...e.data, thread_id: out.threadId } })),
    )
  }
  return out
}
