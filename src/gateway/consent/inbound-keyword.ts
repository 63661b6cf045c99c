/**
 * Opt-out and resume keywords on inbound messages (DESIGN §15). The change is recorded in the
 * inbound message's own transaction (`InboundPlan.consent`), so a stored STOP is never without
 * its opt-out; after the commit, the live events go out and — once, only when this very message
 * opted the contact out — the channel's confirmation is sent, the one send check 3b lets through.
 */
import type { ChannelRules } from '../../rules/types.js'
import type { InboundOutcome, InboundPlan } from '../../store/types.js'
import type { Caller } from '../http/route.js'
import { newId } from '../ids.js'
import { recordEvents } from '../live/index.js'
import type { Services } from '../services.js'
import { send } from '../send/use-case.js'
import { keywordIntent } from './keywords.js'

/** The author of the confirmation: the gateway itself, not an agent or an app's key. */
const SYSTEM: Caller = { id: 'system', role: 'app' }

/** A keyword found on an inbound message: what its plan carries, and the live copies to publish. */
export interface KeywordConsent {
  plan: NonNullable<InboundPlan['consent']>
  taken(): ReturnType<ReturnType<typeof recordEvents>['taken']>
}

/** The consent change an inbound text asks for on a channel with these rules, or null. */
export function keywordConsent(
  svc: Services,
  rules: ChannelRules,
  channel: string,
  text: string | null,
  messageId: string,
  now: string,
): KeywordConsent | null {
  const intent = keywordIntent(rules, text)
  if (intent === null) return null
  const told = recordEvents(svc.events)
  const source = { kind: 'keyword' as const, id: messageId, text: intent.keyword }
  const type = intent.status === 'opted_out' ? 'contact.opted_out' : 'contact.opted_in'
  // contact_id and thread_id: filled in by the store (null keeps their place in the payload).
  const data = {
    contact_id: null,
    channel,
    status: intent.status,
    thread_id: null,
    source,
    at: now,
  }
  return {
    plan: {
      id: newId('cs'),
      channel,
      status: intent.status,
      source,
      events: told.events(type, data, now),
    },
    taken: () => told.taken(),
  }
}

/** After the inbound commit: live events, a log line and the confirmation, when it changed. */
export async function afterKeyword(
  svc: Services,
  channel: string,
  out: InboundOutcome,
  k: KeywordConsent,
): Promise<void> {
  if (!out.consent?.changed) return
  const ids = { contact_id: out.contactId, thread_id: out.consent.threadId }
  svc.live.publish(k.taken().map((e) => ({ ...e, data: { ...e.data, ...ids } })))
  svc.log.info(
    { component: 'consent', contact_id: out.contactId, channel, source: 'keyword' },
    k.plan.status === 'opted_out' ? 'contact opted out' : 'contact opted in',
  )
  const confirmation = svc.config().channels[channel]?.info.rules.opt_out?.confirmation ?? null
  if (k.plan.status !== 'opted_out' || confirmation === null) return
  try {
    await send(svc, { thread_id: out.threadId, text: confirmation }, SYSTEM, null, {
      confirmsOptOut: true,
    })
    svc.kick()
  } catch (error) {
    // Another rule refused it (a mandatory tag, the channel disabled meanwhile): the opt-out
    // stands either way; the confirmation is not retried.
    svc.log.warn(
      { component: 'consent', contact_id: out.contactId, channel, err: error },
      'opt-out confirmation not sent',
    )
  }
}
