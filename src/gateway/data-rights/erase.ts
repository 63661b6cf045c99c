/**
 * `DELETE /v1/contacts/{id}` (admin, DESIGN §15): the contact and everything about it go in one
 * transaction — identities, threads and events, messages with their bodies and attachments (blobs
 * deleted once nothing references them), anything queued for them — and an `erasures` tombstone
 * and anonymous message counts stay. The identities go with it, so a late inbound from one of its
 * addresses finds nothing and starts a fresh contact. The audit line names the admin's key id and
 * the (random) contact id, never anything about the person.
 */
import { apiError, notFound } from '../errors.js'
import type { JsonResult, RouteInput } from '../http/route.js'
import type { Services } from '../services.js'
import { liveContact } from '../contacts/merged.js'

export const eraseContactRoute =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<JsonResult> => {
    if (!i.caller) throw apiError('unauthorized', 'missing API key')
    // Addressed to a merged contact: the survivor and every contact merged into it (DESIGN §15).
    const id = (await liveContact(svc, i.params.id ?? '')).id
    const at = svc.now().toISOString()
    if (!(await svc.store.contacts.erase(id, at, i.caller.id))) throw notFound('contact', id)
    svc.log.info(
      { component: 'audit', action: 'contact.erase', key_id: i.caller.id, contact_id: id },
      'contact erased',
    )
    return { status: 200, body: { contact_id: id, erased_at: at } }
  }
