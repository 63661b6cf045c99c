/**
 * One POST to the relay through undici's low-level `dispatch`, because the outcome of a failure
 * depends on one fact `request()` hides: whether the request had started going out. Before that
 * (connect refused, connect timeout, aborted while queued) nothing reached the relay; after it
 * (headers timeout, reset) the relay may have acted on it.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'

// A `{platform_message_id}` answer is tiny and an error answer is only quoted (200 chars): keep
// this much of a body and let the rest drain, so a relay's big error page costs no memory.
const ANSWER_BYTES_KEPT = 16 * 1024

export interface RelayAnswer {
  status: number
  headers: IncomingHttpHeaders
  /** The first `ANSWER_BYTES_KEPT` bytes of the answer. */
  body: Buffer
}

export type RelayFailureReason = 'network' | 'timeout' | 'aborted'

/** A request that got no complete answer. `sent`: it had started going out (may have arrived). */
export class RelayTransportError extends Error {
  readonly sent: boolean
  readonly reason: RelayFailureReason
  /** The transport's error code (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT` …), if any. */
  readonly errorCode: string | null

  constructor(sent: boolean, reason: RelayFailureReason, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code
    const errorCode = typeof code === 'string' ? code : null
    super(`relay request ${reason}${errorCode ? ` (${errorCode})` : ''}`, { cause })
    this.name = 'RelayTransportError'
    this.sent = sent
    this.reason = reason
    this.errorCode = errorCode
  }
}

export interface RelayRequest {
  path: string
  headers: Record<string, string>
  body: Buffer
  /** The caller's signal (daemon stop, dispatcher send timeout). */
  signal: AbortSignal
  /** Deadline for the whole exchange, connect included. */
  timeoutMs: number
  /** Called right before the request is written (after any connect): the dispatcher paces by it. */
  onWrite?: () => void
}

/** POSTs and resolves with the answer, whatever its status; rejects with `RelayTransportError`. */
export function postToRelay(dispatcher: Dispatcher, req: RelayRequest): Promise<RelayAnswer> {
  return new Promise<RelayAnswer>((resolve, reject) => {
    let sent = false
    let settled = false
    let controller: Dispatcher.DispatchController | null = null
    let status = 0
    let headers: IncomingHttpHeaders = {}
    let chunks: Buffer[] = []
    let kept = 0

    const settle = (done: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.signal.removeEventListener('abort', onAbort)
      done()
    }
    const fail = (reason: RelayFailureReason, cause: unknown) => {
      settle(() => reject(new RelayTransportError(sent, reason, cause)))
      // Then stop the exchange (undici reports it back synchronously, now a no-op). A request
      // still waiting for a connection is stopped in onRequestStart, before it is written.
      if (controller && !controller.aborted) controller.abort(asError(cause))
    }
    const onAbort = () => fail('aborted', req.signal.reason)
    const timer = setTimeout(
      () => fail('timeout', new Error(`no answer within ${req.timeoutMs} ms`)),
      req.timeoutMs,
    )
    if (req.signal.aborted) return onAbort()
    req.signal.addEventListener('abort', onAbort, { once: true })

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(ctl) {
        controller = ctl
        // Aborted or timed out while waiting for a connection: abort here and nothing is written.
        if (settled) ctl.abort(new Error('request cancelled before it was sent'))
        else {
          sent = true
          req.onWrite?.()
        }
      },
      onResponseStart(_ctl, statusCode, responseHeaders) {
        if (statusCode < 200) return // 1xx informational: the real answer follows
        status = statusCode
        headers = responseHeaders
        chunks = []
        kept = 0
      },
      onResponseData(_ctl, chunk) {
        if (kept >= ANSWER_BYTES_KEPT) return
        chunks.push(chunk)
        kept += chunk.length
      },
      onResponseEnd() {
        const body = Buffer.concat(chunks).subarray(0, ANSWER_BYTES_KEPT)
        settle(() => resolve({ status, headers, body }))
      },
      onResponseError(_ctl, err) {
        fail('network', err)
      },
    }
    const options: Dispatcher.DispatchOptions = {
      method: 'POST',
      path: req.path,
      headers: req.headers,
      body: req.body,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    }
    // A closed pool reports through onResponseError (not sent), never by throwing here.
    dispatcher.dispatch(options, handler)
  })
}

function asError(cause: unknown): Error {
  return cause instanceof Error ? cause : new Error(String(cause))
}
