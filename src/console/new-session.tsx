/**
 * A new session with a new person (seed 002): a channel, their account on it (a phone number for
 * messengers, an email address for email: the API refuses a mismatch) and the first message.
 */
import { useState } from 'preact/hooks'
import { Alert } from './alert.js'
import { api, messageOf } from './api.js'
import { useChannels } from './use-channels.js'

export function NewSession() {
  const channels = useChannels()
  const [channel, setChannel] = useState('')
  const [address, setAddress] = useState('')
  const [first, setFirst] = useState('')
  const [subject, setSubject] = useState('')
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const chosen = channels.find((c) => c.name === channel) ?? channels[0]
  const isEmail = chosen?.type === 'email'

  async function send(): Promise<void> {
    if (busy || !chosen) return
    setBusy(true)
    setError(null)
    try {
      const m = await api<{ contact_id: string }>('POST', '/v1/messages', {
        to: {
          channel: chosen.name,
          address: address.trim(),
          ...(first ? { first_name: first } : {}),
        },
        text,
        ...(isEmail && subject ? { email: { subject } } : {}),
      })
      location.hash = `#/contacts/${m.contact_id}`
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section aria-labelledby="new-title">
      <h1 id="new-title">New session</h1>
      <form
        class="grid"
        onSubmit={(e) => {
          e.preventDefault()
          void send()
        }}
      >
        <label>
          Channel
          <select value={chosen?.name ?? ''} onChange={(e) => setChannel(e.currentTarget.value)}>
            {channels.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} ({c.type})
              </option>
            ))}
          </select>
        </label>
        <label>
          Phone or email
          <input
            required
            value={address}
            placeholder={isEmail ? 'ana@example.com' : '+4915112345678'}
            onInput={(e) => setAddress(e.currentTarget.value)}
          />
        </label>
        <label>
          First name
          <input value={first} onInput={(e) => setFirst(e.currentTarget.value)} />
        </label>
        {isEmail && (
          <label>
            Subject
            <input value={subject} onInput={(e) => setSubject(e.currentTarget.value)} />
          </label>
        )}
        <label>
          Message
          <textarea
            rows={4}
            required
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault()
                void send()
              }
            }}
          />
        </label>
        <button type="submit" disabled={busy}>
          Send
        </button>
      </form>
      <Alert message={error} />
    </section>
  )
}
