/**
 * Reads an SSE stream (a web chat visitor's, the console's live stream) in the background: every
 * event so far, with its `id:` and type.
 */
export interface SseEvent {
  id: string | null
  event: string
  data: Record<string, unknown>
}

export interface SseReader {
  events: SseEvent[]
  /** Resolves when the stream ends (or errors). */
  ended: Promise<void>
  stop(): Promise<void>
}

export function readSse(body: ReadableStream<Uint8Array>): SseReader {
  const reader = body.getReader()
  const events: SseEvent[] = []
  const dec = new TextDecoder()
  let buf = ''
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buf += dec.decode(value, { stream: true })
      const frames = buf.split('\n\n')
      buf = frames.pop() ?? ''
      for (const f of frames) {
        const lines = f.split('\n')
        const data = lines.find((l) => l.startsWith('data: '))
        if (!data) continue
        events.push({
          id: lines.find((l) => l.startsWith('id: '))?.slice(4) ?? null,
          event: lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message',
          data: JSON.parse(data.slice(6)) as Record<string, unknown>,
        })
      }
    }
  })().catch(() => undefined)
  return {
    events,
    ended,
    stop: async () => {
      await reader.cancel().catch(() => undefined)
      await ended
    },
  }
}
