/**
 * The AcceptPlan the API builds for a bench send (no HTTP, no rules): the store's own accept
 * path, as the data sets (datasets.mjs, store-datasets.mjs) and the store floors
 * (store-floor.mjs, bulk-floor.mjs) call it.
 */
import { dist } from './paths.mjs'

const { newId } = await import(dist('gateway/ids.js'))

/**
 * A send to `p` (`{contactId, identityId, address, threadId}`, an existing contact with an
 * identity on `channel`): its open thread reused, or a new one opened and remembered in
 * `p.threadId` for the next send. `bulkId` and `dueAt` as a bulk's chunk sets them.
 */
export function sendPlan(p, { channel, text, at = new Date(), dueAt, bulkId }) {
  const thread = p.threadId
    ? { reuse: p.threadId, assign: null, addTags: [], actor: 'bench' }
    : {
        create: { id: newId('th'), channel, assignee: null, tags: [] },
        singleOpen: true,
        actor: 'bench',
      }
  p.threadId ??= thread.create.id
  return {
    now: at.toISOString(),
    contact: { existing: p.contactId },
    identity: { existing: p.identityId },
    thread,
    message: {
      id: newId('msg'),
      channel,
      author: { kind: 'app', id: 'bench' },
      address: p.address,
      text,
      template: null,
      email: null,
      ...(bulkId ? { bulk_id: bulkId } : {}),
    },
    attachments: [],
    outbox: { dueAt: dueAt ?? at.getTime(), recipientKey: `${channel}:${p.address}` },
    events: [],
  }
}
