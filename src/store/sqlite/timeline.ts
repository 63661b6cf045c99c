/**
 * A contact's timeline: messages and thread events merged, oldest first. Two indexed range reads
 * (messages_contact, thread_events_contact) from the cursor, merged in memory. At equal times an
 * event sorts before a message (a thread is opened, then the message in it).
 */
import type { MessageRecord, Page, ThreadEventRecord } from '../types.js'
import { decodeCursor, encodeCursor } from './cursor.js'
import { qb, type Executor } from './executor.js'
import type { MessageRow, ThreadEventRow } from './schema.js'

type Item =
  | { kind: 'message'; at: string; message: MessageRecord }
  | { kind: 'event'; at: string; event: ThreadEventRecord }

/** Position after an item: its time, kind (0 event, 1 message) and seq. */
interface Position {
  at: string
  k: 0 | 1
  s: number
}

function isPosition(v: unknown): v is Position {
  if (v === null || typeof v !== 'object') return false
  const p = v as Record<string, unknown>
  return typeof p.at === 'string' && (p.k === 0 || p.k === 1) && Number.isSafeInteger(p.s)
}

export function timelinePage(
  x: Executor,
  contactId: string,
  limit: number,
  cursor: string | undefined,
  map: {
    message: (rows: MessageRow[]) => MessageRecord[]
    event: (row: ThreadEventRow) => ThreadEventRecord
  },
): Page<Item> {
  const after = cursor ? decodeCursor(cursor, isPosition) : undefined
  if (after === null) return { items: [], next_cursor: null }

  let mq = qb
    .selectFrom('messages')
    .selectAll()
    .where('contact_id', '=', contactId)
    .orderBy('created_at')
    .orderBy('seq')
  let eq = qb
    .selectFrom('thread_events')
    .selectAll()
    .where('contact_id', '=', contactId)
    .orderBy('at')
    .orderBy('seq')
  if (after) {
    const { at, k, s } = after
    mq = mq.where((eb) =>
      eb.or([
        eb('created_at', '>', at),
        k === 0
          ? eb('created_at', '=', at)
          : eb.and([eb('created_at', '=', at), eb('seq', '>', s)]),
      ]),
    )
    eq = eq.where((eb) =>
      k === 0
        ? eb.or([eb('at', '>', at), eb.and([eb('at', '=', at), eb('seq', '>', s)])])
        : eb('at', '>', at),
    )
  }
  const messages = x.all<MessageRow>(mq.limit(limit + 1))
  const events = x.all<ThreadEventRow>(eq.limit(limit + 1))

  // Merge by (time, kind, seq) and keep one more than the page to know whether another follows.
  const merged: { pos: Position; row: MessageRow | ThreadEventRow }[] = [
    ...events.map((row) => ({ pos: { at: row.at, k: 0 as const, s: row.seq }, row })),
    ...messages.map((row) => ({ pos: { at: row.created_at, k: 1 as const, s: row.seq }, row })),
  ].sort((a, b) => comparePositions(a.pos, b.pos))
  const page = merged.slice(0, limit)
  const pageMessages = map.message(
    page.filter((e) => e.pos.k === 1).map((e) => e.row as MessageRow),
  )
  const byId = new Map(pageMessages.map((m) => [m.id, m]))

  const items: Item[] = page.map(({ pos, row }) => {
    if (pos.k === 0) return { kind: 'event', at: pos.at, event: map.event(row as ThreadEventRow) }
    const message = byId.get(row.id)
    if (!message) throw new Error(`message ${row.id} missing from its own page`)
    return { kind: 'message', at: pos.at, message }
  })
  const last = page[page.length - 1]
  return { items, next_cursor: merged.length > limit && last ? encodeCursor(last.pos) : null }
}

function comparePositions(a: Position, b: Position): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1
  if (a.k !== b.k) return a.k - b.k
  return a.s - b.s
}
