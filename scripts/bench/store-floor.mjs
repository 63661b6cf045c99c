/**
 * P1's store floor: what the accept path's store work alone costs, with no HTTP, validation or
 * rules. The SQLite store (a temp dir), 1 000 contacts each with an identity and an open thread,
 * then `store.accept()` of P1's sends (a fresh idempotency key each, a random contact, the
 * thread reused) in groups of 64 at once, as P1's 64 connections give the group commit. Prints
 * one JSON line: accepts a second, and CPU (all threads: the loop, the fsyncs, the checkpoints)
 * per accept. The daemon's accept can be no faster than this: it is the ceiling the rest of the
 * path (HTTP, rules, the response) shares the event loop under.
 *
 * Usage: node scripts/bench/store-floor.mjs DIR [ACCEPTS]
 */
import { join } from 'node:path'
import { dist } from './lib/paths.mjs'
import { phoneOf } from './lib/phones.mjs'
import { sendPlan } from './lib/plans.mjs'

const { openStore } = await import(dist('store/index.js'))
const { newId } = await import(dist('gateway/ids.js'))

const CONTACTS = 1000
const GROUP = 64
const CHANNEL = 'sms'
const dir = process.argv[2]
const total = Number(process.argv[3] ?? 40_000)
if (!dir) throw new Error('usage: store-floor.mjs DIR [ACCEPTS]')

const store = await openStore({ file: join(dir, 'floor.db'), dataDir: dir })
const now = new Date().toISOString()
const people = []
for (let n = 0; n < CONTACTS; n++) {
  const phone = phoneOf(n)
  const identityId = newId('id')
  const c = await store.contacts.create(
    { id: newId('ct'), first_name: `P${n}`, phone },
    [{ id: identityId, channel: CHANNEL, address: phone }],
    now,
  )
  people.push({ contactId: c.id, identityId, address: phone, threadId: null })
}

let sent = 0
/** One send as the API plans it for an existing contact (its thread opened by the first). */
function accept(p) {
  const at = new Date()
  const plan = sendPlan(p, { channel: CHANNEL, text: `Hello, this is bench message ${sent++}`, at })
  const { id, text } = plan.message
  // The 202's body is stored with the key, as the API stores it (about this size).
  plan.idempotency = {
    keyId: 'bench',
    key: newId('key'),
    bodyHash: 'f'.repeat(64),
    status: 202,
    response: JSON.stringify({
      id,
      status: 'queued',
      channel: CHANNEL,
      contact_id: p.contactId,
      thread_id: p.threadId,
      direction: 'out',
      author: { kind: 'app', id: 'bench' },
      address: p.address,
      to: p.address,
      text,
      template: null,
      email: null,
      attachments: [],
      created_at: at.toISOString(),
      send_at: null,
      deferred_until: null,
    }),
  }
  return store.accept(plan)
}

try {
  // Warm-up: every contact's thread opened, the JIT and the page cache warm.
  await Promise.all(people.map(accept))
  const cpu = process.cpuUsage()
  const start = performance.now()
  let done = 0
  while (done < total) {
    const group = []
    for (let i = 0; i < GROUP; i++)
      group.push(accept(people[Math.floor(Math.random() * people.length)]))
    await Promise.all(group)
    done += group.length
  }
  const seconds = (performance.now() - start) / 1000
  const used = process.cpuUsage(cpu)
  process.stdout.write(
    `${JSON.stringify({
      rps: done / seconds,
      cpuUsPerAccept: (used.user + used.system) / done,
    })}\n`,
  )
} finally {
  await store.close()
}
