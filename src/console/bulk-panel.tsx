/**
 * Bulk from the current search (seeds 000, 003): compose once, Preview (the API's dry run: who
 * would get it, who not and why), Send, a progress bar fed by the live stream, Cancel bulk.
 */
import { useEffect, useState } from 'preact/hooks'
import { Alert } from './alert.js'
import { api, messageOf } from './api.js'
import type { LiveStream } from './live.js'
import type { Bulk, BulkDryRun, Channel, SearchFilter } from './types.js'

/** Besides live events, progress is re-read this often while a bulk runs (a missed event heals). */
const POLL_MS = 2000

export function BulkPanel(props: { filter: SearchFilter; channels: Channel[]; live: LiveStream }) {
  const { filter, channels, live } = props
  const [channel, setChannel] = useState('')
  const [text, setText] = useState('')
  const [dry, setDry] = useState<BulkDryRun | null>(null)
  const [bulk, setBulk] = useState<Bulk | null>(null)
  const [error, setError] = useState<string | null>(null)
  const chosen = channel || channels[0]?.name || ''

  function request(dryRun: boolean): Record<string, unknown> {
    const f: Record<string, string> = {}
    if (filter.q.trim()) f.q = filter.q.trim()
    if (filter.status) f.thread_status = filter.status
    if (filter.mine) f.assignee = 'me'
    if (filter.channel) f.channel = filter.channel
    if (filter.tag.trim()) f.tag = filter.tag.trim()
    return { filter: f, channel: chosen, text, ...(dryRun ? { dry_run: true } : {}) }
  }

  async function run<T>(f: () => Promise<T>): Promise<T | undefined> {
    setError(null)
    try {
      return await f()
    } catch (e) {
      setError(messageOf(e))
      return undefined
    }
  }

  const refresh = (id: string): Promise<void> =>
    api<Bulk>('GET', `/v1/bulk/${id}`).then(setBulk, (e: unknown) => setError(messageOf(e)))

  const running = bulk?.status === 'running'
  useEffect(() => {
    if (!bulk || !running) return
    const id = bulk.id
    const t = setInterval(() => void refresh(id), POLL_MS)
    const off = live.on((e) => {
      if (e.data.bulk_id === id || e.type === 'message.status') void refresh(id)
    })
    return () => {
      clearInterval(t)
      off()
    }
  }, [bulk?.id, running, live])

  const finished = bulk
    ? bulk.counts.sent +
      bulk.counts.delivered +
      bulk.counts.read +
      bulk.counts.failed +
      bulk.counts.cancelled
    : 0
  const max = bulk ? Math.max(bulk.checked < bulk.total ? bulk.total : bulk.eligible, 1) : 1
  return (
    <section class="bulk" aria-labelledby="bulk-title">
      <h2 id="bulk-title">Bulk message to this search</h2>
      <label>
        Send on channel
        <select value={chosen} onChange={(e) => setChannel(e.currentTarget.value)}>
          {channels.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Message
        <textarea rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <div class="actions">
        <button
          type="button"
          onClick={() =>
            void run(() => api<BulkDryRun>('POST', '/v1/bulk', request(true))).then(
              (d) => d && setDry(d),
            )
          }
        >
          Preview
        </button>
        <button
          type="button"
          disabled={running}
          onClick={() =>
            void run(() => api<Bulk>('POST', '/v1/bulk', request(false))).then(
              (b) => b && setBulk(b),
            )
          }
        >
          Send
        </button>
      </div>
      {dry && (
        <p role="status">
          {`${dry.eligible} of ${dry.total} would get it`}
          {Object.keys(dry.skipped).length > 0 &&
            `; skipped: ${Object.entries(dry.skipped)
              .map(([code, n]) => `${code} ${n}`)
              .join(', ')}`}
        </p>
      )}
      {bulk && (
        <div class="progress">
          <progress aria-label="Bulk progress" max={max} value={Math.min(finished, max)} />
          <p>
            {`${bulk.status}: ${finished} of ${bulk.eligible} done (sent ${bulk.counts.sent + bulk.counts.delivered + bulk.counts.read}, failed ${bulk.counts.failed}, cancelled ${bulk.counts.cancelled}), ${bulk.checked} of ${bulk.total} checked`}
            {Object.keys(bulk.skipped).length > 0 &&
              `; skipped: ${Object.entries(bulk.skipped)
                .map(([code, n]) => `${code} ${n}`)
                .join(', ')}`}
          </p>
          {running && (
            <button
              type="button"
              onClick={() =>
                void run(() => api<Bulk>('POST', `/v1/bulk/${bulk.id}/cancel`)).then(
                  (b) => b && setBulk(b),
                )
              }
            >
              Cancel bulk
            </button>
          )}
        </div>
      )}
      <Alert message={error} />
    </section>
  )
}
