/**
 * P3's store floor: what a bulk's store work alone costs a recipient, with no HTTP, no rules and
 * no dispatcher draining meanwhile. A copy of P3's database (100 000 contacts, each with an `sms`
 * identity and no thread), one bulk over all of them (`bulk.create()`: the recipient snapshot),
 * then the bulk runner's store calls for each chunk of 250, in order: `bulk.recipients()`,
 * `bulk.facts()` and `consent.optedOut()` for the rules, and `bulk.applyChunk()` with a plan per
 * recipient as the runner builds it for a contact with no open thread (a new thread, the message
 * with its bulk id, its outbox job at its paced time; no app webhooks, as in P3). Prints one JSON
 * line: the seconds from the bulk's creation to its last chunk, and CPU (all threads) per
 * recipient. P3's enqueue can be no faster than this: the rules, the HTTP API and the
 * dispatcher's drain share the event loop on top of it.
 *
 * Usage: node scripts/bench/bulk-floor.mjs DB DATA_DIR
 */
import { dist } from './lib/paths.mjs'
import { sendPlan } from './lib/plans.mjs'

const { openStore } = await import(dist('store/index.js'))
const { openDatabase } = await import(dist('store/sqlite/open-database.js'))
const { newId } = await import(dist('gateway/ids.js'))

const CHANNEL = 'sms'
const CHUNK = 250 // the bulk runner's chunk (src/gateway/bulk/runner.ts)
const INTERVAL_MS = 1 // the webhook type's default 1 000/s
const [file, dataDir] = process.argv.slice(2)
if (!file || !dataDir) throw new Error('usage: bulk-floor.mjs DB DATA_DIR')

const read = openDatabase(file, { readonly: true })
const contactIds = read
  .prepare('SELECT id FROM contacts ORDER BY rowid')
  .all()
  .map((r) => r.id)
read.close()

const store = await openStore({ file, dataDir })

try {
  const cpu = process.cpuUsage()
  const start = performance.now()
  const at = new Date()
  const now = at.toISOString()
  let due = at.getTime()
  const bulk = await store.bulk.create(
    {
      id: newId('bulk'),
      channel: CHANNEL,
      author: { kind: 'app', id: 'bench' },
      spec: { text: 'Hello {{first_name}}, this is the bulk' },
      contactIds,
      next_due_at: due,
    },
    now,
  )
  let from = 0
  while (from < bulk.total) {
    const ids = await store.bulk.recipients(bulk.id, from, CHUNK)
    const facts = await store.bulk.facts(ids, CHANNEL)
    const optedOut = await store.consent.optedOut(ids, CHANNEL)
    const plans = []
    for (const id of ids) {
      const f = facts.get(id)
      if (!f?.identity || optedOut.has(id)) continue
      const to = { contactId: id, identityId: f.identity.id, address: f.identity.address }
      const text = `Hello ${f.contact.first_name ?? ''}, this is the bulk`
      // No open thread: the plan opens one, as the runner's does for such a contact.
      plans.push(sendPlan(to, { channel: CHANNEL, text, at, dueAt: due, bulkId: bulk.id }))
      due += INTERVAL_MS
    }
    const rec = await store.bulk.applyChunk({
      bulkId: bulk.id,
      from,
      to: from + ids.length,
      plans,
      skipped: {},
      next_due_at: due,
      now,
    })
    if (!rec) throw new Error(`bulk floor: chunk at ${from} not applied`)
    from = rec.checked
  }
  const seconds = (performance.now() - start) / 1000
  const used = process.cpuUsage(cpu)
  const counts = await store.bulk.counts(bulk.id)
  if (counts.queued !== bulk.total)
    throw new Error(`bulk floor: ${counts.queued} of ${bulk.total} queued`)
  process.stdout.write(
    `${JSON.stringify({
      seconds,
      recipients: bulk.total,
      cpuUsPerRecipient: (used.user + used.system) / bulk.total,
    })}\n`,
  )
} finally {
  await store.close()
}
