/**
 * Find people (seed 001): search by first or last name, email or phone, the filters Mine/All ×
 * Open/Snoozed/Closed, channel and tag; newest activity first. Each result is a link named after the
 * contact; unread counts sit beside it. Bulk messaging starts from the current search.
 */
import { useEffect, useState } from 'preact/hooks'
import { Alert } from './alert.js'
import { api, messageOf, query } from './api.js'
import { BulkPanel } from './bulk-panel.js'
import type { LiveStream } from './live.js'
import { displayName, type Contact, type Page, type SearchFilter } from './types.js'
import { useChannels } from './use-channels.js'

/** Typing pauses this long before the search runs: one request per word, not per key. */
const SEARCH_DEBOUNCE_MS = 150
const STATUSES = [
  ['open', 'Open'],
  ['snoozed', 'Snoozed'],
  ['closed', 'Closed'],
] as const

export function People(props: {
  filter: SearchFilter
  onFilter: (f: SearchFilter) => void
  unread: Record<string, number>
  live: LiveStream
}) {
  const { filter, onFilter, unread, live } = props
  const channels = useChannels()
  const [results, setResults] = useState<Contact[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [bulk, setBulk] = useState(false)
  const [tick, setTick] = useState(0)
  const set = (patch: Partial<SearchFilter>): void => onFilter({ ...filter, ...patch })

  useEffect(() => {
    let gone = false
    const t = setTimeout(() => {
      api<Page<Contact>>('GET', `/v1/contacts${searchQuery(filter)}`)
        .then((p) => {
          if (gone) return
          setResults(p.items)
          setError(null)
        })
        .catch((e: unknown) => !gone && setError(messageOf(e)))
    }, SEARCH_DEBOUNCE_MS)
    return () => {
      gone = true
      clearTimeout(t)
    }
  }, [filter, tick])
  // New messages and thread changes move people up the list or in and out of a filter.
  useEffect(() => live.on((e) => e.type.startsWith('bulk.') || setTick((n) => n + 1)), [live])

  return (
    <section class="people" aria-labelledby="people-title">
      <h1 id="people-title">People</h1>
      <div class="search">
        <label for="people-search" class="visually-hidden">
          Search people
        </label>
        <input
          id="people-search"
          type="search"
          placeholder="Name, email or phone   ( / )"
          value={filter.q}
          onInput={(e) => set({ q: e.currentTarget.value })}
        />
      </div>
      <div class="filters">
        <div role="group" aria-label="Assignee" class="toggle">
          <button type="button" aria-pressed={filter.mine} onClick={() => set({ mine: true })}>
            Mine
          </button>
          <button type="button" aria-pressed={!filter.mine} onClick={() => set({ mine: false })}>
            All
          </button>
        </div>
        <div role="group" aria-label="Thread status" class="toggle">
          {STATUSES.map(([value, label]) => (
            <button
              key={value}
              type="button"
              aria-pressed={filter.status === value}
              onClick={() => set({ status: filter.status === value ? null : value })}
            >
              {label}
            </button>
          ))}
        </div>
        <label>
          Channel
          <select value={filter.channel} onChange={(e) => set({ channel: e.currentTarget.value })}>
            <option value="">Any channel</option>
            {channels.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tag
          <input value={filter.tag} onInput={(e) => set({ tag: e.currentTarget.value })} />
        </label>
      </div>
      <div class="actions">
        <button type="button" aria-expanded={bulk} onClick={() => setBulk(!bulk)}>
          Bulk message
        </button>
        <a href="#/new">New session</a>
      </div>
      {bulk && <BulkPanel filter={filter} channels={channels} live={live} />}
      <Alert message={error} />
      {results && (
        <ul class="results" aria-label="Results">
          {results.length === 0 && <li>No one matches.</li>}
          {results.map((c) => (
            <li key={c.id}>
              <a href={`#/contacts/${c.id}`}>{displayName(c)}</a>
              <span class="muted">{[c.email, c.phone].filter(Boolean).join(' · ')}</span>
              {(unread[c.id] ?? 0) > 0 && <span class="badge">{unread[c.id]} unread</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

/** The search's query string; the bulk panel sends the same values as its filter. */
function searchQuery(f: SearchFilter): string {
  return query({
    q: f.q.trim(),
    thread_status: f.status,
    assignee: f.mine ? 'me' : null,
    channel: f.channel,
    tag: f.tag.trim(),
    limit: '50',
  })
}
