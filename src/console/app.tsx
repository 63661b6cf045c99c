/**
 * The console's shell: sign-in until a key is stored, then the header, the live stream and the
 * page the hash names. Unread counts (inbound messages since a contact was last opened) live here
 * so the people list shows them on every page.
 */
import { useEffect, useMemo, useState } from 'preact/hooks'
import { forgetKey, storedKey } from './api.js'
import { ContactPage } from './contact-page.js'
import { LiveStream, type LiveStatus } from './live.js'
import { NewSession } from './new-session.js'
import { People } from './people.js'
import { useRoute } from './route.js'
import { SignIn } from './sign-in.js'
import type { SearchFilter } from './types.js'

const EMPTY_FILTER: SearchFilter = { q: '', mine: false, status: null, channel: '', tag: '' }

export function App() {
  const [key, setKey] = useState(storedKey())
  if (!key) return <SignIn onSignedIn={setKey} />
  return (
    <Shell
      apiKey={key}
      onSignOut={() => {
        forgetKey()
        setKey(null)
      }}
    />
  )
}

function Shell({ apiKey, onSignOut }: { apiKey: string; onSignOut: () => void }) {
  const route = useRoute()
  const [status, setStatus] = useState<LiveStatus>('connecting')
  const [filter, setFilter] = useState<SearchFilter>(EMPTY_FILTER)
  const [unread, setUnread] = useState<Record<string, number>>({})
  const live = useMemo(() => new LiveStream(apiKey, setStatus), [apiKey])
  const openContact = route.page === 'contact' ? route.id : null

  useEffect(() => {
    live.start()
    return () => live.stop()
  }, [live])
  useEffect(
    () =>
      live.on((e) => {
        const contact = e.data.contact_id
        if (e.type !== 'message.inbound' || typeof contact !== 'string' || contact === openContact)
          return
        setUnread((u) => ({ ...u, [contact]: (u[contact] ?? 0) + 1 }))
      }),
    [live, openContact],
  )
  useEffect(() => {
    if (openContact) setUnread((u) => ({ ...u, [openContact]: 0 }))
  }, [openContact])
  useEffect(() => {
    // `/` goes to the search box from anywhere but a text field.
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return
      e.preventDefault()
      // Focus at once when the box is on screen: the keys typed right after `/` must land in it
      // (a deferred focus let a fast typist's first letters fall on the page, searching "na").
      const box = document.getElementById('people-search')
      if (box) return box.focus()
      // Elsewhere the people page renders on the hash change; its box is focused once it is there.
      location.hash = '#/'
      setTimeout(() => document.getElementById('people-search')?.focus(), 0)
    }
    addEventListener('keydown', onKey)
    return () => removeEventListener('keydown', onKey)
  }, [])

  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          Omnigate
        </a>
        <nav aria-label="Main">
          <a href="#/">People</a>
          <a href="#/new">New session</a>
        </nav>
        <span class={`live live-${status}`} role="status">
          {status === 'live'
            ? 'Live'
            : status === 'connecting'
              ? 'Connecting…'
              : 'Offline, retrying'}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main>
        {route.page === 'people' && (
          <People filter={filter} onFilter={setFilter} unread={unread} live={live} />
        )}
        {route.page === 'new' && <NewSession />}
        {route.page === 'contact' && <ContactPage key={route.id} id={route.id} live={live} />}
      </main>
    </>
  )
}
