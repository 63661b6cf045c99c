/**
 * A contact (seeds 000–004): profile, identities, per-channel eligibility with the button to write
 * (only where `can_send`), the composer, the threads with their actions and the unified timeline.
 * Live events about this contact reload what they change.
 */
import { useCallback, useEffect, useState } from 'preact/hooks'
import { Alert } from './alert.js'
import { api, messageOf } from './api.js'
import { Composer } from './composer.js'
import { EligibilityList } from './eligibility-list.js'
import type { LiveStream } from './live.js'
import { ProfileForm } from './profile-form.js'
import { ThreadActions } from './thread-actions.js'
import { Timeline } from './timeline.js'
import {
  displayName,
  type ChannelEligibility,
  type Contact,
  type Page,
  type Thread,
  type TimelineItem,
} from './types.js'
import { useChannels } from './use-channels.js'

/** The timeline is read in pages of this many, up to `TIMELINE_PAGES` pages (oldest first). */
const TIMELINE_PAGE = 200
const TIMELINE_PAGES = 5

interface Loaded {
  contact: Contact
  eligibility: ChannelEligibility[]
  threads: Thread[]
  timeline: TimelineItem[]
}

export function ContactPage({ id, live }: { id: string; live: LiveStream }) {
  const channels = useChannels()
  const [data, setData] = useState<Loaded | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [composing, setComposing] = useState<ChannelEligibility | null>(null)

  const load = useCallback(async () => {
    try {
      const [contact, elig, threads, timeline] = await Promise.all([
        api<Contact>('GET', `/v1/contacts/${id}`),
        api<{ channels: ChannelEligibility[] }>('GET', `/v1/contacts/${id}/eligibility`),
        api<Page<Thread>>('GET', `/v1/threads?contact_id=${id}&limit=100`),
        readTimeline(id),
      ])
      setData({ contact, eligibility: elig.channels, threads: threads.items, timeline })
    } catch (e) {
      setError(messageOf(e))
    }
  }, [id])

  useEffect(() => {
    void load()
  }, [load])
  useEffect(
    () =>
      live.on((e) => {
        if (e.data.contact_id === id) void load()
      }),
    [live, id, load],
  )

  if (!data) return <Alert message={error} />
  const { contact, eligibility, threads, timeline } = data
  const name = displayName(contact)
  return (
    <article class="contact" aria-labelledby="contact-title">
      <h1 id="contact-title">{name}</h1>
      {contact.blocked && <p class="warn">Blocked: nothing can be sent to this person.</p>}
      <Alert message={error} />
      <div class="columns">
        <div>
          <ProfileForm contact={contact} onSaved={() => void load()} />
          <section aria-labelledby="identities-title">
            <h2 id="identities-title">Identities</h2>
            <ul>
              {contact.identities.map((i) => (
                <li key={`${i.channel}:${i.address}`}>
                  {i.channel}: {i.address}
                  {i.reachable === false && ' (unreachable)'}
                </li>
              ))}
            </ul>
          </section>
          <EligibilityList items={eligibility} onWrite={setComposing} />
          {composing && (
            <Composer
              key={composing.channel}
              contact={contact}
              start={composing}
              eligible={eligibility.filter((e) => e.can_send)}
              channels={channels}
              threads={threads}
              onSent={() => void load()}
              onClose={() => setComposing(null)}
            />
          )}
          <section aria-labelledby="threads-title">
            <h2 id="threads-title">Threads</h2>
            {threads.length === 0 && <p>No threads yet.</p>}
            {threads.map((t) => (
              <ThreadActions key={t.id} thread={t} onChanged={() => void load()} />
            ))}
          </section>
        </div>
        <Timeline items={timeline} />
      </div>
    </article>
  )
}

async function readTimeline(id: string): Promise<TimelineItem[]> {
  const items: TimelineItem[] = []
  let cursor: string | null = null
  for (let i = 0; i < TIMELINE_PAGES; i++) {
    const c: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
    const page: Page<TimelineItem> = await api(
      'GET',
      `/v1/contacts/${id}/timeline?limit=${TIMELINE_PAGE}${c}`,
    )
    items.push(...page.items)
    cursor = page.next_cursor
    if (!cursor) break
  }
  return items
}
