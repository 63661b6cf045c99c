/**
 * `GET /v1/stream`: the live events as Server-Sent Events, one subscription to the bus per client.
 * A comment line every `heartbeatMs` keeps proxies from closing an idle connection. Each client has
 * a bounded buffer: a client that stops reading is dropped (its stream errors and its subscription
 * goes) rather than letting the daemon's memory grow; it reconnects and reloads what it shows.
 */
import type { Services } from '../services.js'
import type { RouteInput } from '../http/route.js'
import type { LiveBus, LiveEvent } from './bus.js'

/** Proxies commonly close a response idle for 60 s; a comment every 15 s stays well inside. */
const HEARTBEAT_MS = 15_000
/**
 * @internal (its test reads it) Events a client may have waiting before it is dropped. A console
 * this far behind shows stale data anyway; a few hundred events of about 0.5 KB each bound a client at well under 1 MB.
 */
export const MAX_BUFFERED_EVENTS = 500
/** What a browser waits before reconnecting after the stream ends (SSE `retry:`). */
const RETRY_MS = 3_000

export interface StreamOptions {
  heartbeatMs?: number
  maxBuffered?: number
  /** Called once when the stream ends (the console's agent goes offline here). */
  onEnd?: () => void
}

/** An open console counts its agent online (automations' `no_agent_online`) until it ends. */
function presenceOf(svc: Services, caller: RouteInput<unknown, unknown>['caller']): StreamOptions {
  const presence = svc.presence
  return presence && caller ? { onEnd: presence.streamOpened(caller.id) } : {}
}

/** @internal The SSE encoding of one event: `id`, `event` (its type) and one `data` line of JSON. */
export function sseFrame(e: LiveEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`
}

/**
 * @internal (exported for its unit test) Opens a stream of `bus` for one client; `signal` aborts
 * when the client goes away.
 */
export function openStream(
  bus: LiveBus,
  signal: AbortSignal | undefined,
  opts: StreamOptions = {},
) {
  const encoder = new TextEncoder()
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS
  let cleanup = (): void => {}
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let done = false
        const end = (): void => {
          if (done) return
          done = true
          unsubscribe()
          clearInterval(heartbeat)
          opts.onEnd?.()
          signal?.removeEventListener('abort', onAbort)
        }
        const send = (text: string): void => {
          if (done) return
          // desiredSize counts what the client has not read yet against the bound.
          if ((controller.desiredSize ?? 1) <= 0) {
            end()
            controller.error(new Error('live stream client too slow; dropped'))
            return
          }
          controller.enqueue(encoder.encode(text))
        }
        const unsubscribe = bus.subscribe((events) => {
          for (const e of events) send(sseFrame(e))
        })
        const heartbeat = setInterval(() => send(': keepalive\n\n'), heartbeatMs)
        heartbeat.unref()
        const onAbort = (): void => end()
        signal?.addEventListener('abort', onAbort)
        cleanup = end
        controller.enqueue(encoder.encode(`retry: ${RETRY_MS}\n: connected\n\n`))
      },
      cancel() {
        cleanup()
      },
    },
    new CountQueuingStrategy({ highWaterMark: opts.maxBuffered ?? MAX_BUFFERED_EVENTS }),
  )
}

/** The route handler: the caller is already authenticated with an agent or admin key. */
export function streamRoute(svc: Services, opts: StreamOptions = {}) {
  return ({ c, caller }: RouteInput<unknown, unknown>): Response =>
    new Response(openStream(svc.live, c.req.raw.signal, { ...opts, ...presenceOf(svc, caller) }), {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-store',
        // nginx buffers responses unless told not to; events would arrive in bursts.
        'x-accel-buffering': 'no',
      },
    })
}
