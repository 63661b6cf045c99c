/**
 * Merged contacts (DESIGN §15): a read of a merged id answers `301` with `Location:
 * /v1/contacts/<survivor>` and `{merged_into}` (`ContactMoved`, turned into that answer by the
 * app's error handler); a write or a send addressed to it acts on the survivor (`liveContact`).
 */
import type { ContactRecord } from '../../store/types.js'
import { notFound } from '../errors.js'
import type { Services } from '../services.js'

/**
 * Hops followed from a merged id to its survivor. Each merge flattens the chain it extends, so
 * one hop is the rule; a few more cover a read racing a merge of the survivor itself.
 */
const MAX_HOPS = 8

/** Thrown by a read of a merged contact: answered as 301 to the survivor. */
export class ContactMoved extends Error {
  constructor(
    readonly id: string,
    readonly mergedInto: string,
  ) {
    super(`contact ${id} was merged into ${mergedInto}`)
    this.name = 'ContactMoved'
  }

  /** The answer: `Location` and the body. */
  get location(): string {
    return `/v1/contacts/${this.mergedInto}`
  }
}

/** The contact for a read: `not_found`, or `ContactMoved` (301) when it was merged away. */
export async function mustContact(svc: Services, id: string): Promise<ContactRecord> {
  const c = await svc.store.contacts.get(id)
  if (!c) throw notFound('contact', id)
  if (c.merged_into) throw new ContactMoved(id, (await liveContact(svc, c.merged_into)).id)
  return c
}

/** The contact a write addressed to `id` acts on: itself, or the survivor it was merged into. */
export async function liveContact(svc: Services, id: string): Promise<ContactRecord> {
  let c = await svc.store.contacts.get(id)
  for (let hop = 0; c?.merged_into && hop < MAX_HOPS; hop++) {
    c = await svc.store.contacts.get(c.merged_into)
  }
  // A survivor erased after the merge took its merged rows along: answered as erased (404).
  if (!c || c.merged_into) throw notFound('contact', id)
  return c
}
