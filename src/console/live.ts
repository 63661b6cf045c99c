/**
 * Reads `GET /v1/stream` with `fetch` (an `EventSource` cannot send the key in a header) and hands
 * each event to the listeners; reconnects with a growing delay when the stream ends.
 */
import type { LiveEvent } from './types.js'

export type LiveStatus = 'connecting' | 'live' | 'offline'

/** Keeps the stream open while started; `stop()` ends it. */
export class LiveStream {
  private readonly listeners = new Set<(e: LiveEvent) => void>()
  private abort: AbortController | null = null
  private stopped = false
  private delay = 1000

  constructor(
    private readonly key: string,
    private readonly onStatus: (s: LiveStatus) => void,
  ) {}

  on(listener: (e: LiveEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  start(): void {
    this.stopped = false
    void this.loop()
  }

  stop(): void {
    this.stopped = true
    this.abort?.abort()
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.onStatus('connecting')
      try {
        await this.read()
      } catch {
        // Ended or refused: try again below.
      }
      if (this.stopped) return
      this.onStatus('offline')
      await new Promise((r) => setTimeout(r, this.delay))
      // Up to 30 s between tries: a daemon restarting is back long before.
      this.delay = Math.min(this.delay * 2, 30_000)
    }
  }

  private async read(): Promise<void> {
    this.abort = new AbortController()
    const res = await fetch('/v1/stream', {
      headers: { authorization: `Bearer ${this.key}`, accept: 'text/event-stream' },
      signal: this.abort.signal,
    })
    if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`)
    this.onStatus('live')
    this.delay = 1000
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += value
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n')
        if (!data) continue
        const event = JSON.parse(data) as LiveEvent
        for (const l of this.listeners) l(event)
      }
    }
  }
}
