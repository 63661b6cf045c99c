/**
 * Sends to one person are decided one after the other: two first messages sent at once must share
 * the thread the first one opens (and one new contact), not collide on it (409 / identity taken).
 * An in-process queue per person; with several daemons the store's guards still decide.
 */
import type { SendBody } from '../http/schemas.js'
import type { Services } from '../services.js'

const turns = new Map<string, Promise<unknown>>()

/** Runs `fn` after every earlier call with the same key has settled (an in-process queue per key). */
export async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = turns.get(key) ?? Promise.resolve()
  const run = prev.then(fn, fn)
  const tail = run.catch(() => undefined)
  turns.set(key, tail)
  try {
    return await run
  } finally {
    if (turns.get(key) === tail) turns.delete(key)
  }
}

/** Who a send goes to, before anything is resolved: the contact, or the channel address. */
export function personKey(svc: Services, body: SendBody): string {
  if (body.contact_id) return `ct:${body.contact_id}`
  if (body.thread_id) {
    const t = svc.store.threads.get(body.thread_id)
    return t ? `ct:${t.contact_id}` : `th:${body.thread_id}`
  }
  return `to:${body.to?.channel ?? ''}:${(body.to?.address ?? '').trim().toLowerCase()}`
}
