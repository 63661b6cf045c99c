/**
 * `GET/PUT /v1/contacts/{id}/consent` (DESIGN §15): a contact's consent per channel with its
 * history, and a change made by an API key, recorded with the key as its source.
 */
import type { ConsentRecord, ConsentSource } from '../../store/types.js'
import { notFound, ruleError } from '../errors.js'
import type { Caller, JsonResult, RouteInput } from '../http/route.js'
import type { Services } from '../services.js'
import { liveContact, mustContact } from '../contacts/use-cases.js'
import { changeConsent } from './record.js'
import type { ConsentBody } from './schemas.js'

/** A key's role as the source kind: an admin key is the operator's own API use. */
const KIND_OF_ROLE: Record<Caller['role'], ConsentSource['kind']> = {
  admin: 'api',
  agent: 'agent',
  app: 'app',
}

export const getConsent =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<JsonResult> => {
    const c = await mustContact(svc, i.params['id'] ?? '')
    return { status: 200, body: await consentView(svc, c.id) }
  }

export const putConsent =
  (svc: Services) =>
  async (i: RouteInput<ConsentBody, unknown>): Promise<JsonResult> => {
    // Addressed to a merged contact: the survivor's consent changes (DESIGN §15).
    const id = (await liveContact(svc, i.params['id'] ?? '')).id
    const { channel, status, note } = i.body
    if (svc.config().channels[channel] === undefined) {
      throw ruleError(
        'channel_unknown',
        `Channel "${channel}" is not configured: check the name.`,
        `channels.${channel}`,
      )
    }
    const caller = i.caller ?? { id: 'unknown', role: 'admin' as const }
    const source: ConsentSource = {
      kind: KIND_OF_ROLE[caller.role],
      id: caller.id,
      ...(note === undefined ? {} : { text: note }),
    }
    const out = await changeConsent(svc, { contactId: id, channel, status, source })
    if (out === null) throw notFound('contact', id)
    return { status: 200, body: await consentView(svc, id) }
  }

async function consentView(svc: Services, contactId: string) {
  const [state, history] = await Promise.all([
    svc.store.consent.state(contactId),
    svc.store.consent.history(contactId),
  ])
  return { contact_id: contactId, channels: state.map(view), history: history.map(view) }
}

function view(r: ConsentRecord) {
  return { channel: r.channel, status: r.status, at: r.at, source: r.source }
}
