/**
 * The messages in the `Conversation` log, kept in time order (ids are ULIDs: they sort by time)
 * and deduplicated by id, so history pages, live events and a resumed stream can overlap freely.
 * A message the visitor is still sending stands under `pending:<client_id>` until the daemon
 * answers with its id (`settle`); the stream's copy then replaces it.
 */
import { renderMessage } from './message-view.js'
import type { ChatAttachment, ChatMessage } from './types.js'

export class ThreadView {
  private readonly byId = new Map<string, { m: ChatMessage; node: HTMLElement }>()

  constructor(
    private readonly log: HTMLElement,
    private readonly attachmentUrl: (a: ChatAttachment) => string,
  ) {}

  /** Adds or updates a message; true when it was new. */
  upsert(m: ChatMessage): boolean {
    const had = this.byId.get(m.id)
    const node = renderMessage(m, this.attachmentUrl)
    if (had) {
      had.node.replaceWith(node)
      this.byId.set(m.id, { m, node })
      return false
    }
    const after = this.firstLaterThan(m)
    if (after) this.log.insertBefore(node, after)
    else this.log.append(node)
    this.byId.set(m.id, { m, node })
    return true
  }

  /** A status change from the stream (`delivered`, `read` …) for a message shown. */
  setStatus(id: string, status: string): void {
    const had = this.byId.get(id)
    if (had && had.m.status !== status) this.upsert({ ...had.m, status })
  }

  /** The daemon stored a pending message as `id`: shown once, under its real id. */
  settle(clientId: string, id: string): void {
    const pending = this.byId.get(pendingId(clientId))
    if (!pending) return
    this.remove(pendingId(clientId))
    if (!this.byId.has(id)) this.upsert({ ...pending.m, id, status: 'sent' })
  }

  remove(id: string): void {
    const had = this.byId.get(id)
    if (!had) return
    had.node.remove()
    this.byId.delete(id)
  }

  /** The oldest stored message (for `before=`), pending ones left out. */
  oldestId(): string | undefined {
    let oldest: ChatMessage | undefined
    for (const e of this.byId.values()) {
      if (!isPending(e.m.id) && (!oldest || compare(e.m, oldest) < 0)) oldest = e.m
    }
    return oldest?.id
  }

  /** The site's messages the visitor has not seen yet, oldest first. */
  unread(): ChatMessage[] {
    return [...this.byId.values()]
      .map((e) => e.m)
      .filter((m) => m.direction === 'out' && m.status !== 'read')
      .sort(compare)
  }

  private firstLaterThan(m: ChatMessage): HTMLElement | undefined {
    let best: { m: ChatMessage; node: HTMLElement } | undefined
    for (const e of this.byId.values()) {
      if (compare(e.m, m) > 0 && (!best || compare(e.m, best.m) < 0)) best = e
    }
    return best?.node
  }
}

export const pendingId = (clientId: string): string => `pending:${clientId}`
const isPending = (id: string): boolean => id.startsWith('pending:')

function compare(a: ChatMessage, b: ChatMessage): number {
  // A message still being sent goes last; the rest by time, then id (ULIDs sort by time too).
  if (isPending(a.id) !== isPending(b.id)) return isPending(a.id) ? 1 : -1
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}
