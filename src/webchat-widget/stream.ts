/**
 * The live stream (SSE): `message`, `status` and `typing` events. The browser's EventSource
 * reconnects by itself and sends `Last-Event-ID`, so nothing is lost across a dropped connection.
 * When the daemon refuses the stream (an expired token: the EventSource closes for good) a new one
 * is opened with a fresh session, resuming from the last event id it saw.
 */
import type { ChatApi } from './api.js'

export interface StreamHandlers {
  message(data: unknown): void
  status(data: unknown): void
  typing(data: unknown): void
  /** Connected again after a gap: the caller reloads what it may have missed. */
  resumed(): void
}

/** Waits before a new EventSource after a refusal: 1 s doubling to 30 s (a daemon restarting). */
const RETRY_MIN_MS = 1_000
const RETRY_MAX_MS = 30_000

export class ChatStream {
  private es: EventSource | null = null
  private lastId: string | null = null
  private retryMs = RETRY_MIN_MS
  private timer: ReturnType<typeof setTimeout> | undefined
  private stopped = false
  private opens = 0

  constructor(
    private readonly api: ChatApi,
    private readonly on: StreamHandlers,
  ) {}

  start(): void {
    void this.connect(false)
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.es?.close()
    this.es = null
  }

  private async connect(fresh: boolean): Promise<void> {
    if (this.stopped) return
    let url: string
    try {
      url = await this.api.streamUrl(this.lastId, fresh)
    } catch {
      this.later()
      return
    }
    if (this.stopped) return
    const es = new EventSource(url)
    this.es = es
    es.onopen = () => {
      this.retryMs = RETRY_MIN_MS
      if (this.opens++ > 0) this.on.resumed()
    }
    es.onerror = () => {
      // CONNECTING: the browser retries on its own with Last-Event-ID. CLOSED: it gave up.
      if (es.readyState === EventSource.CLOSED && this.es === es) {
        es.close()
        this.es = null
        this.later()
      }
    }
    for (const type of ['message', 'status', 'typing'] as const) {
      es.addEventListener(type, (ev) => {
        const e = ev as MessageEvent<string>
        if (e.lastEventId) this.lastId = e.lastEventId
        const data = parse(e.data)
        if (data !== undefined) this.on[type](data)
      })
    }
  }

  private later(): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.connect(true), this.retryMs)
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS)
  }
}

/** An event's JSON; a live-bus envelope `{id, type, created_at, data}` is unwrapped to its `data`. */
function parse(text: string): unknown {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return undefined
  }
  const env = v as { type?: unknown; data?: unknown } | null
  if (env && typeof env.type === 'string' && env.data && typeof env.data === 'object')
    return env.data
  return v
}
