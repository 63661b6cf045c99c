/**
 * The second check of a held message (DESIGN §14): a scheduled send is checked at request time
 * and again when its time comes. The dispatcher asks here when it leases the job of a message
 * with `send_at`, before anything goes on the wire: the checks of the recipient that can change
 * with time (channel enabled, address, blocked, reachable, consent, contact-first and the
 * customer-service window) run again on the facts of now. What the request already decided for
 * good — the thread, tags, the rendered content — stays decided.
 */
import { evaluateRecipient } from '../../rules/evaluate.js'
import { deferredUntil } from '../../rules/index.js'
import type { MessageError, MessageRecord } from '../../store/types.js'
import { recipientFacts } from '../send/facts.js'
import type { Services } from '../services.js'

/**
 * What becomes of a held message now: it goes; it is refused (it ends `failed` with the rule's
 * code, unsent); or the channel's send window is closed at this moment (the contact's zone
 * changed since it was accepted) and it waits for the next opening (`until`, ms), never dropped.
 */
export type HeldCheck =
  { kind: 'go' } | { kind: 'refused'; error: MessageError } | { kind: 'defer'; until: number }

export async function recheckHeld(svc: Services, m: MessageRecord): Promise<HeldCheck> {
  const error = await refusalNow(svc, m)
  if (error) return { kind: 'refused', error }
  const channel = svc.config().channels[m.channel]?.info
  const contact = await svc.store.contacts.get(m.contact_id)
  const identity = await svc.store.identities.find(m.channel, m.address)
  const now = svc.now()
  const until = channel
    ? deferredUntil(channel, contact?.timezone, identity?.last_inbound_at ?? null, now)
    : null
  return until ? { kind: 'defer', until: until.getTime() } : { kind: 'go' }
}

async function refusalNow(svc: Services, m: MessageRecord): Promise<MessageError | null> {
  const contact = await svc.store.contacts.get(m.contact_id)
  if (!contact) return { code: 'not_found', message: `contact ${m.contact_id} is gone` }
  const identity = await svc.store.identities.find(m.channel, m.address)
  const records = { channelName: m.channel, contact, identity, thread: null, activeThreads: [] }
  // The daily cap of first messages was counted when the send was accepted: not again here.
  const facts = recipientFacts(svc, records, svc.now(), 0)
  const d = evaluateRecipient(facts)
  if (!d.allowed) return { code: d.code ?? 'refused', message: d.message }
  const p = d.pending
  // Past the window only a template without attachments passes `templates_only`.
  if (p?.code === 'template_required' && (m.template === null || m.attachments.length > 0))
    return { code: p.code, message: p.message }
  return null
}
