/**
 * Sign-in with an agent or admin key. The key is checked by opening the live stream, which only
 * those roles may read: an `app` key gets the API's 403 message in an alert and nothing else.
 */
import { useState } from 'preact/hooks'
import { Alert } from './alert.js'
import { storeKey } from './api.js'

export function SignIn({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function submit(e: Event): Promise<void> {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const res = await fetch('/v1/stream', { headers: { authorization: `Bearer ${key.trim()}` } })
      if (res.ok) {
        // The stream itself is for the app shell; this one only proved the key.
        void res.body?.cancel()
        storeKey(key.trim())
        onSignedIn(key.trim())
        return
      }
      const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null
      const why = body?.error?.message ?? `HTTP ${res.status}`
      setError(
        res.status === 403
          ? `Only agent and admin keys can sign in: ${why}`
          : `Sign-in refused: ${why}`,
      )
    } catch {
      setError('The gateway cannot be reached; check the connection.')
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="sign-in">
      <h1>Omnigate console</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          API key
          <input
            type="password"
            autocomplete="off"
            required
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <Alert message={error} />
    </main>
  )
}
