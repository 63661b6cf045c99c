/**
 * Data sets for P7 (DESIGN §8), written through the Store contract so the same code fills SQLite
 * and PostgreSQL: contacts with an identity on one channel (`contacts.create`), and queued
 * messages through the store's own `accept()` — what `POST /v1/messages` writes. Slower than
 * datasets.mjs's prepared SQLite inserts, so P7's sets are smaller than P1's and P2's.
 */
import { dist } from './lib/paths.mjs'
import { phoneOf } from './lib/phones.mjs'
import { sendPlan } from './lib/plans.mjs'

const { openStore } = await import(dist('store/index.js'))
const { newId } = await import(dist('gateway/ids.js'))

/** Writes in flight at once: enough to fill a pool of 10 and group commits. */
const PARALLEL = 200

async function inBatches(count, fn) {
  for (let start = 0; start < count; start += PARALLEL) {
    const batch = []
    for (let n = start; n < Math.min(count, start + PARALLEL); n++) batch.push(fn(n))
    await Promise.all(batch)
  }
}

/**
 * Fills a store (`storeOpts` as openStore takes them: `{file, dataDir}` or `{postgres, …}`) with
 * `contacts` contacts, each with an identity on `channel` (its phone), and, with `perContact`,
 * that many queued messages to each. Returns the contact ids.
 */
export async function fillStore(storeOpts, { channel, contacts, perContact = 0 }) {
  const store = await openStore(storeOpts)
  try {
    const people = []
    const now = new Date().toISOString()
    await inBatches(contacts, async (n) => {
      const phone = phoneOf(n)
      const identityId = newId('id')
      const c = await store.contacts.create(
        { id: newId('ct'), first_name: `P${n}`, phone },
        [{ id: identityId, channel, address: phone }],
        now,
      )
      people[n] = { contactId: c.id, identityId, address: phone, threadId: null }
    })
    let queued = 0
    for (let round = 0; round < perContact; round++) {
      await inBatches(contacts, async (n) => {
        await store.accept(
          sendPlan(people[n], { channel, text: `Hello, this is bench message ${queued++}` }),
        )
      })
    }
    return people.map((p) => p.contactId)
  } finally {
    await store.close()
  }
}
