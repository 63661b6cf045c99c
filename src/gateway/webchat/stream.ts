/**
 * `GET /v1/channels/{name}/webchat/stream?token=` (DESIGN §12): the visitor's live conversation as
 * Server-Sent Events — `message` (either direction, the `WebchatMessage` view), `status` (an
 * outbound message moved: `{message_id, status}`) and `typing` (`{from, agent_name?}`).
 *
 * Every event carries an `id:`, the stream's cursor: the highest message id it has sent. A
 * reconnect with `Last-Event-ID` (or `?last_event_id=`) replays from the store every message above
 * that cursor and every outbound message still `sent` — which no stream has received, since
 * receiving is what makes it `delivered` — so nothing is lost even when messages go out in another
 * order than their ids (a queued one sent late). Without a cursor the stream starts at the newest
 * message (the widget loads history apart) and still replays the undelivered ones. The widget
 * dedupes `message` events by id.
 *
 * Each outbound message the stream hands to the client becomes `delivered` through the normal
 * status path (forward-only, `message.status` webhook). The stream listens to the live bus (through
 * the daemon's one web chat subscription, hub.ts), so on PostgreSQL a message sent through
 * another daemon reaches it too. A comment every 15 s keeps
 * proxies from closing it; a client that stops reading is dropped once `MAX_BUFFERED_BYTES` wait
 * for it (its subscription goes with it) — it reconnects with its cursor and loses nothing.
 */
import type { LiveEvent } from '../live/bus.js'
import { subscribeVisitor } from './hub.js'
import { receiveStatus } from '../inbound.js'
import type { MessageRecord } from '../../store/types.js'
import type { Services } from '../services.js'
import { visitorView } from './view.js'
import type { Visitor } from './visitor.js'

/** Proxies commonly close a response idle for 60 s; a comment every 15 s stays well inside. */
const HEARTBEAT_MS = 15_000
/**
 * Bytes a client may leave unread before it is dropped: a few dozen long messages. A
 * widget this far behind is gone or stalled; it resumes from its cursor when it comes back.
 */
const MAX_BUFFERED_BYTES = 256 * 1024
/** What a browser waits before reconnecting after the stream ends (SSE `retry:`). */
const RETRY_MS = 3_000
/** At most this many messages replayed on a connect; a widget further behind reloads history. */
const REPLAY_MAX = 200
/** The cursor before any message id (`msg_…` sorts above it). */
const START = '0'

export interface WebchatStreamOptions {
  heartbeatMs?: number
  maxBufferedBytes?: number
}

function frame(id: string, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

/** The SSE body for one visitor. `lastEventId`: the cursor the client resumes from, if any. */
export function openVisitorStream(
  svc: Services,
  v: Visitor,
  lastEventId: string | null,
  signal: AbortSignal | undefined,
  opts: WebchatStreamOptions = {},
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let cleanup = (): void => {}
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let done = false
        let cursor = lastEventId && /^msg_[0-9a-z]{26}$/.test(lastEventId) ? lastEventId : START
        /** Message ids already written: a live event racing the replay is sent once. */
        const sent = new Set<string>()
        /** Live events that arrived while the replay was being read. */
        let held: LiveEvent[] | null = []
        const end = (): void => {
          if (done) return
          done = true
          unsubscribe()
          clearInterval(heartbeat)
          signal?.removeEventListener('abort', end)
        }
        const write = (text: string): boolean => {
          if (done) return false
          // desiredSize counts the bytes the client has not read yet against the bound.
          if ((controller.desiredSize ?? 1) <= 0) {
            end()
            controller.error(new Error('web chat stream client too slow; dropped'))
            return false
          }
          controller.enqueue(encoder.encode(text))
          return true
        }
        const sendMessage = (m: MessageRecord): void => {
          if (sent.has(m.id) || m.status === 'queued' || m.status === 'sending') return
          if (m.id > cursor) cursor = m.id
          if (!write(frame(cursor, 'message', visitorView(svc, m)))) return
          sent.add(m.id)
          if (m.direction === 'out' && m.status === 'sent') {
            receiveStatus(svc, v.name, { messageId: m.id, status: 'delivered' }).catch(
              (err: unknown) =>
                svc.log.warn({ err, component: 'webchat' }, 'marking delivered failed'),
            )
          }
        }
        const handle = async (e: LiveEvent): Promise<void> => {
          if (e.type === 'message.status') {
            const id = String(e.data.message_id)
            const status = String(e.data.status)
            if (status === 'sent' && !sent.has(id)) {
              const m = await svc.store.messages.get(id)
              if (m) sendMessage(m)
            } else if (status !== 'queued' && status !== 'sending' && status !== 'sent') {
              write(frame(cursor, 'status', { message_id: id, status }))
            }
          } else if (e.type === 'message.inbound') {
            const m = await svc.store.messages.get(String(e.data.message_id))
            if (m) sendMessage(m)
          } else if (e.type === 'webchat.typing' && e.data.from === 'agent') {
            // The visitor's own typing is for the consoles, not echoed back to the widget.
            write(frame(cursor, 'typing', { from: 'agent', agent_name: e.data.agent_name ?? null }))
          }
        }
        // Events of one contact are few: each is handled in arrival order on one chain.
        let chain: Promise<void> = Promise.resolve()
        const enqueue = (e: LiveEvent): void => {
          chain = chain
            .then(() => (done ? undefined : handle(e)))
            .catch((err: unknown) =>
              svc.log.warn({ err, component: 'webchat' }, 'web chat stream event failed'),
            )
        }
        const unsubscribe = subscribeVisitor(svc.live, v.name, v.contactId, (e) => {
          if (held) held.push(e)
          else enqueue(e)
        })
        const heartbeat = setInterval(
          () => write(': keepalive\n\n'),
          opts.heartbeatMs ?? HEARTBEAT_MS,
        )
        heartbeat.unref()
        signal?.addEventListener('abort', end)
        cleanup = end
        controller.enqueue(encoder.encode(`retry: ${RETRY_MS}\n: connected\n\n`))
        chain = replay(svc, v, cursor)
          .then((messages) => {
            for (const m of messages) sendMessage(m)
            const waiting = held ?? []
            held = null
            for (const e of waiting) enqueue(e)
          })
          .catch((err: unknown) => {
            svc.log.warn({ err, component: 'webchat' }, 'web chat stream replay failed')
            end()
            controller.error(new Error('replay failed'))
          })
        if (cursor === START && lastEventId === null) {
          // No cursor: start at the newest message, so `id:` is meaningful from the first event.
          chain = chain.then(async () => {
            const newest = await svc.store.webchat.history(v.contactId, v.name, null, 1)
            const top = newest[0]?.id
            if (top !== undefined && top > cursor) cursor = top
          })
        }
      },
      cancel() {
        cleanup()
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES }),
  )
}

/** What a (re)connecting client missed: messages above its cursor, and undelivered ones. */
async function replay(svc: Services, v: Visitor, cursor: string): Promise<MessageRecord[]> {
  const undelivered = await svc.store.webchat.undelivered(v.contactId, v.name, REPLAY_MAX)
  const after =
    cursor === START ? [] : await svc.store.webchat.since(v.contactId, v.name, cursor, REPLAY_MAX)
  const byId = new Map<string, MessageRecord>()
  for (const m of [...undelivered, ...after]) byId.set(m.id, m)
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1))
}
