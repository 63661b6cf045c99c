/**
 * Bench data sets, generated on the fly (nothing committed): a migrated SQLite file filled with
 * contacts by prepared bulk inserts through the store's own schema and search-text code (the FTS
 * row of each contact is what `ContactWriter.insert` would write), and queued messages through the
 * store's own `accept()` (group commit), exactly as the daemon writes them.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { dist } from './lib/paths.mjs'
import { phoneOf } from './lib/phones.mjs'
import { sendPlan } from './lib/plans.mjs'

export { phoneOf }

const { openDatabase } = await import(dist('store/sqlite/open-database.js'))
const { migrate } = await import(dist('store/sqlite/migrate.js'))
const { MIGRATIONS } = await import(dist('store/sqlite/migrations/index.js'))
const { contactSearchText } = await import(dist('store/sqlite/search-text.js'))
const { openStore } = await import(dist('store/index.js'))
const { newId } = await import(dist('gateway/ids.js'))

/** Rows per transaction: big enough that commits do not matter, small enough to keep memory flat. */
const CHUNK = 50_000

const SYLLABLES = (
  'an be ca da el fa ga ha il jo ka la ma na no ol pa ra sa ta ul va wi ya ze ri mo lu ke so ' +
  'mi ne to ru de li ba go'
).split(' ')
const DOMAINS = ['example.com', 'mail.test', 'shop.example', 'corp.test', 'web.example']

/** A small seeded PRNG (mulberry32): the same seed gives the same data set. */
export function prng(seed) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function word(rand, syllables) {
  let w = ''
  for (let i = 0; i < syllables; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)]
  return w[0].toUpperCase() + w.slice(1)
}

/** 400 first names and 3 000 last names of 2–3 syllables: prefixes from very common to rare. */
export function nameLists(seed = 7) {
  const rand = prng(seed)
  const first = new Set()
  while (first.size < 400) first.add(word(rand, 2 + Math.floor(rand() * 2)))
  const last = new Set()
  while (last.size < 3000) last.add(word(rand, 2 + Math.floor(rand() * 2)))
  return { first: [...first], last: [...last] }
}

/** Creates (or replaces) a migrated database at `file`. Returns the open connection. */
function freshDb(file) {
  rmSync(file, { force: true })
  rmSync(`${file}-wal`, { force: true })
  rmSync(`${file}-shm`, { force: true })
  mkdirSync(dirname(file), { recursive: true })
  const db = openDatabase(file)
  migrate(db, MIGRATIONS, new Date().toISOString())
  // Generation only: a crash here just means generating again, so skip the per-commit fsync.
  db.pragma('synchronous = OFF')
  return db
}

/**
 * Fills a new database with `count` contacts (names, email, phone) and, when `identityChannel` is
 * given, an identity on that channel per contact (the phone number); `emailDomain` puts every
 * email on one domain (a search for it finds exactly these contacts). Returns the contact ids
 * when `keepIds` (for the loads that address contacts by id).
 */
export function generateContacts(
  file,
  { count, identityChannel = null, keepIds = false, seed = 1, emailDomain = null },
) {
  const db = freshDb(file)
  const { first, last } = nameLists()
  const rand = prng(seed)
  const insertContact = db.prepare(`INSERT INTO contacts (id, first_name, last_name, email, phone,
      external_id, attributes, blocked, created_at, updated_at, last_activity_at)
    VALUES (?, ?, ?, ?, ?, NULL, '{}', 0, ?, ?, ?)`)
  const insertFts =
    db.prepare(`INSERT INTO contacts_fts (rowid, first_name, last_name, email, phone)
    VALUES (?, ?, ?, ?, ?)`)
  const insertIdentity = db.prepare(`INSERT INTO identities (id, contact_id, channel, address,
      reachable, created_at) VALUES (?, ?, ?, ?, 1, ?)`)
  const ids = keepIds ? [] : null
  const now = new Date().toISOString()
  for (let start = 0; start < count; start += CHUNK) {
    db.transaction(() => {
      for (let n = start; n < Math.min(count, start + CHUNK); n++) {
        const f = first[Math.floor(rand() * first.length)]
        const l = last[Math.floor(rand() * last.length)]
        const c = {
          id: newId('ct'),
          first_name: f,
          last_name: l,
          email: `${f.toLowerCase()}.${l.toLowerCase()}${n % 100}@${emailDomain ?? DOMAINS[n % DOMAINS.length]}`,
          phone: phoneOf(n),
        }
        const r = insertContact.run(
          c.id,
          c.first_name,
          c.last_name,
          c.email,
          c.phone,
          now,
          now,
          now,
        )
        const t = contactSearchText(c)
        insertFts.run(r.lastInsertRowid, t.first_name, t.last_name, t.email, t.phone)
        if (identityChannel) insertIdentity.run(newId('id'), c.id, identityChannel, c.phone, now)
        ids?.push(c.id)
      }
    })()
  }
  // One file to copy: fold the WAL back into the database.
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  return { file, count, ids }
}

/**
 * Queues `perContact` messages to each of the given contacts (created by `generateContacts` with
 * an identity on `channel`) through the store's own accept path: one thread per contact, message
 * `queued`, outbox job due now — what `POST /v1/messages` writes.
 */
export async function queueMessages(file, dataDir, { channel, contactIds, perContact = 1 }) {
  const store = await openStore({ file, dataDir })
  // Each contact's identity on the channel: who the sends go to.
  const db = openDatabase(file, { readonly: true })
  const people = new Map(
    db
      .prepare('SELECT contact_id, id, address FROM identities WHERE channel = ?')
      .all(channel)
      .map((r) => [
        r.contact_id,
        { contactId: r.contact_id, identityId: r.id, address: r.address, threadId: null },
      ]),
  )
  db.close()
  let queued = 0
  for (let round = 0; round < perContact; round++) {
    const pending = []
    for (const contactId of contactIds) {
      const text = `Hello, this is bench message ${queued++}`
      pending.push(store.accept(sendPlan(people.get(contactId), { channel, text })))
      // Let group commit flush in batches instead of holding 100 000 plans in memory.
      if (pending.length >= 5_000) await Promise.all(pending.splice(0))
    }
    await Promise.all(pending)
  }
  await store.close()
  const w = openDatabase(file)
  w.pragma('wal_checkpoint(TRUNCATE)')
  w.close()
  return { queued }
}

/** Copies a generated database (already checkpointed) to a run's own folder. */
export function copyDb(from, to) {
  mkdirSync(dirname(to), { recursive: true })
  for (const suffix of ['-wal', '-shm']) rmSync(`${to}${suffix}`, { force: true })
  copyFileSync(from, to)
  if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${to}-wal`)
  return to
}

/**
 * A store floor script (`drain-floor.mjs`, `bulk-floor.mjs`, by URL) in a process of its own, on a
 * fresh copy of `template` in `runDir`: its one JSON line, parsed.
 */
export function runStoreFloor(script, template, runDir) {
  const db = copyDb(template, join(runDir, 'omnigate.db'))
  return JSON.parse(execFileSync(process.execPath, [fileURLToPath(script), db, runDir]).toString())
}
