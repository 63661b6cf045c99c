/**
 * Message reads (kysely; the status moves go through the core and the port). The timeline merges
 * messages and thread events of a contact, oldest first, with a cursor on (time, kind, seq).
 */
import type { MessageRecord, Page, TimelineItem } from '../types.js'
import type { AttachmentRepo } from './attachment-repo.js'
import { encodeCursor, seqCursor } from './cursor.js'
import { qb, type Executor } from './executor.js'
import { toEvent, toMessage } from './rows.js'
import type { MessageRow, ThreadEventRow } from './schema.js'
import { timelinePage } from './timeline.js'

// Every send's payload and status event reads its message: prepared once.
const GET = `SELECT * FROM messages WHERE id = ?`

/** @internal exported for its tests */
export const AWAITING_ACK_SQL = `SELECT * FROM messages
  WHERE channel = ? AND status = 'sent' AND undelivered_after IS NULL AND sent_at <= ?
    AND direction = 'out'
  ORDER BY sent_at LIMIT ?`

export class MessageRepo {
  constructor(
    private readonly x: Executor,
    private readonly attachments: AttachmentRepo,
  ) {}

  get(id: string): MessageRecord | null {
    const row = this.x.stmt(GET).get(id) as MessageRow | undefined
    return row ? (this.hydrate([row])[0] ?? null) : null
  }

  /** Oldest first, `limit` at a time. */
  listByThread(threadId: string, limit: number, cursor?: string): Page<MessageRecord> {
    const after = seqCursor(cursor)
    if (after === null) return { items: [], next_cursor: null }
    let q = qb
      .selectFrom('messages')
      .selectAll()
      .where('thread_id', '=', threadId)
      .orderBy('seq')
      .limit(limit + 1)
    if (after !== undefined) q = q.where('seq', '>', after)
    const rows = this.x.all<MessageRow>(q)
    const page = rows.slice(0, limit)
    const last = page[page.length - 1]
    return {
      items: this.hydrate(page),
      next_cursor: rows.length > limit && last ? encodeCursor(last.seq) : null,
    }
  }

  timeline(contactId: string, limit: number, cursor?: string): Page<TimelineItem> {
    return timelinePage(this.x, contactId, limit, cursor, {
      message: (rows) => this.hydrate(rows),
      event: (row: ThreadEventRow) => toEvent(row),
    })
  }

  /** The message with this platform id on the channel; an outbound one first (status updates). */
  findByPlatformId(channel: string, platformMessageId: string): MessageRecord | null {
    const row = this.x.get<MessageRow>(
      qb
        .selectFrom('messages')
        .selectAll()
        .where('channel', '=', channel)
        .where('platform_message_id', '=', platformMessageId)
        .orderBy('direction', 'desc')
        .limit(1),
    )
    return row ? (this.hydrate([row])[0] ?? null) : null
  }

  /** Message-IDs of a thread's email messages: the email's own, or the id SMTP gave (outbound). */
  emailIds(threadId: string): string[] {
    const rows = this.x.all<{ mid: string | null }>(
      qb
        .selectFrom('messages')
        .select((eb) => eb.fn.coalesce('email_message_id', 'platform_message_id').as('mid'))
        .where('thread_id', '=', threadId)
        .where('email', 'is not', null)
        .orderBy('seq'),
    )
    return rows.flatMap((r) => (r.mid ? [r.mid] : []))
  }

  /** Distinct recipients messaged on the channel since `since` whose identity never wrote to us. */
  countUnrepliedSince(channel: string, since: string): number {
    const row = this.x.get<{ n: number }>(
      qb
        .selectFrom('messages as m')
        .select((eb) => eb.fn.count<number>('m.address').distinct().as('n'))
        .where('m.channel', '=', channel)
        .where('m.direction', '=', 'out')
        .where('m.created_at', '>=', since)
        .where('m.status', '!=', 'cancelled')
        // eslint-disable-next-line @typescript-eslint/unbound-method -- kysely's builder uses no `this` (its docs destructure it)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('identities as i')
                .select('i.id')
                .whereRef('i.channel', '=', 'm.channel')
                .whereRef('i.address', '=', 'm.address')
                .where('i.first_inbound_at', 'is not', null),
            ),
          ),
        ),
    )
    return row?.n ?? 0
  }

  /** On the partial index messages_awaiting_ack (its WHERE is repeated literally so it applies). */
  listAwaitingAck(channel: string, sentBefore: string, limit: number): MessageRecord[] {
    const rows = this.x.stmt(AWAITING_ACK_SQL).all(channel, sentBefore, limit) as MessageRow[]
    return this.hydrate(rows)
  }

  /** Rows → records with their attachments (one query for the page). */
  hydrate(rows: readonly MessageRow[]): MessageRecord[] {
    const atts = this.attachments.byMessages(rows.map((r) => r.id))
    return rows.map((r) => toMessage(r, atts.get(r.id) ?? []))
  }
}
