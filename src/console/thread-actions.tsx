/** A thread's state and, while it is active, the agent actions: Close, Snooze, Assign to me, tags. */
import { useState } from 'preact/hooks'
import { Alert } from './alert.js'
import { api, messageOf } from './api.js'
import type { Thread } from './types.js'

const SNOOZE_CHOICES = [
  ['1', '1 hour'],
  ['4', '4 hours'],
  ['24', '1 day'],
  ['168', '1 week'],
] as const

export function ThreadActions({ thread, onChanged }: { thread: Thread; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null)
  const [hours, setHours] = useState('4')
  const [tags, setTags] = useState(thread.tags.join(', '))
  const active = thread.status !== 'closed'

  async function act(path: string, body: unknown, method = 'POST'): Promise<void> {
    setError(null)
    try {
      await api(method, `/v1/threads/${thread.id}/${path}`, body)
      onChanged()
    } catch (e) {
      setError(messageOf(e))
    }
  }

  const until = (): string => new Date(Date.now() + Number(hours) * 3_600_000).toISOString()
  return (
    <div class="thread" role="group" aria-label={`Thread on ${thread.channel}`}>
      <p>
        {thread.channel}: {thread.status}
        {thread.snoozed_until &&
          thread.status === 'snoozed' &&
          ` until ${new Date(thread.snoozed_until).toLocaleString()}`}
        {' · '}
        {thread.assignee ? `assigned to ${thread.assignee}` : 'unassigned'}
        {thread.tags.length > 0 && ` · tags: ${thread.tags.join(', ')}`}
      </p>
      {active && (
        <div class="actions">
          <button type="button" onClick={() => void act('close', {})}>
            Close
          </button>
          <label>
            Snooze for
            <select value={hours} onChange={(e) => setHours(e.currentTarget.value)}>
              {SNOOZE_CHOICES.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void act('snooze', { until: until() })}>
            Snooze
          </button>
          <button type="button" onClick={() => void act('assign', { agent: 'me' })}>
            Assign to me
          </button>
          <label>
            Tags
            <input value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
          </label>
          <button type="button" onClick={() => void act('tags', { tags: splitList(tags) }, 'PUT')}>
            Save tags
          </button>
        </div>
      )}
      <Alert message={error} />
    </div>
  )
}

/** `a, b c` → `['a', 'b', 'c']`. */
export function splitList(s: string): string[] {
  return s.split(/[\s,]+/).filter(Boolean)
}
