/** The contact's profile, editable: names, email, phone, attributes (JSON) and blocked. */
import { useState } from 'preact/hooks'
import { Alert } from './alert.js'
import { api, messageOf } from './api.js'
import type { Contact } from './types.js'

export function ProfileForm({ contact, onSaved }: { contact: Contact; onSaved: () => void }) {
  const [first, setFirst] = useState(contact.first_name ?? '')
  const [last, setLast] = useState(contact.last_name ?? '')
  const [email, setEmail] = useState(contact.email ?? '')
  const [phone, setPhone] = useState(contact.phone ?? '')
  const [attributes, setAttributes] = useState(JSON.stringify(contact.attributes, null, 2))
  const [blocked, setBlocked] = useState(contact.blocked)
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState('')

  async function save(e: Event): Promise<void> {
    e.preventDefault()
    setError(null)
    setSaved('')
    let attrs: unknown
    try {
      attrs = JSON.parse(attributes || '{}')
    } catch {
      setError('Attributes must be a JSON object, like {"plan": "pro"}.')
      return
    }
    try {
      await api('PATCH', `/v1/contacts/${contact.id}`, {
        first_name: first || null,
        last_name: last || null,
        email: email || null,
        phone: phone || null,
        attributes: attrs,
        blocked,
      })
      setSaved('Profile saved.')
      onSaved()
    } catch (err) {
      setError(messageOf(err))
    }
  }

  return (
    <section aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <form class="grid" onSubmit={(e) => void save(e)}>
        <label>
          First name
          <input value={first} onInput={(e) => setFirst(e.currentTarget.value)} />
        </label>
        <label>
          Last name
          <input value={last} onInput={(e) => setLast(e.currentTarget.value)} />
        </label>
        <label>
          Email
          <input type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          Phone
          <input type="tel" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} />
        </label>
        <label>
          Attributes
          <textarea
            rows={3}
            value={attributes}
            onInput={(e) => setAttributes(e.currentTarget.value)}
          />
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={blocked}
            onChange={(e) => setBlocked(e.currentTarget.checked)}
          />
          Blocked
        </label>
        <button type="submit">Save profile</button>
        <p role="status">{saved}</p>
      </form>
      <Alert message={error} />
    </section>
  )
}
