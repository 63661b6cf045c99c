/**
 * Compose (seed 004): the channel among the eligible ones, text with snippet tags and a live
 * preview (the API's own dry run renders it), a template with its variables, attachments, email
 * sender/subject/bcc, and tags where the channel demands them. Ctrl+Enter sends. A refusal is shown
 * in an alert with the API's message.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { Alert } from './alert.js'
import { api, messageOf } from './api.js'
import { readAttachments, type AttachmentInput } from './attachments.js'
import { splitList } from './thread-actions.js'
import type { Channel, ChannelEligibility, Contact, Decision, Thread } from './types.js'

/** The preview asks the API after typing pauses this long. */
const PREVIEW_DEBOUNCE_MS = 300

export function Composer(props: {
  contact: Contact
  start: ChannelEligibility
  eligible: ChannelEligibility[]
  channels: { name: string; type: string; rules: Channel['rules'] }[]
  threads: Thread[]
  onSent: () => void
  onClose: () => void
}) {
  const { contact, eligible, channels, threads } = props
  const [channel, setChannel] = useState(props.start.channel)
  const [text, setText] = useState('')
  const [template, setTemplate] = useState('')
  const [variables, setVariables] = useState('')
  const [from, setFrom] = useState('')
  const [subject, setSubject] = useState('')
  const [bcc, setBcc] = useState('')
  const [tags, setTags] = useState('')
  const [files, setFiles] = useState<AttachmentInput[]>([])
  const [preview, setPreview] = useState<string>('')
  const [error, setError] = useState<string | null>(null)
  const [status, setStatus] = useState('')
  const [busy, setBusy] = useState(false)
  const idempotency = useRef(randomKey())
  const textBox = useRef<HTMLTextAreaElement>(null)

  const elig = eligible.find((e) => e.channel === channel) ?? props.start
  const info = channels.find((c) => c.name === channel)
  const isEmail = (info?.type ?? elig.type) === 'email'
  const thread = threads.find((t) => t.id === elig.thread_id)
  const tagsRule = info?.rules.mandatory_tags ?? false
  const needsTags = tagsRule !== false && (thread?.tags.length ?? 0) === 0

  useEffect(() => textBox.current?.focus(), [])

  function body(dryRun: boolean): Record<string, unknown> {
    const b: Record<string, unknown> = elig.thread_id
      ? { thread_id: elig.thread_id }
      : { contact_id: contact.id, channel }
    if (template.trim())
      b.template = { name: template.trim(), variables: parseVariables(variables) }
    else if (text) b.text = text
    if (files.length > 0) b.attachments = files
    if (isEmail && (from || subject || bcc)) {
      b.email = {
        ...(from ? { from } : {}),
        ...(subject ? { subject } : {}),
        ...(bcc ? { bcc: splitList(bcc) } : {}),
      }
    }
    if (tags.trim()) b.tags = splitList(tags)
    if (dryRun) b.dry_run = true
    return b
  }

  useEffect(() => {
    if (!text && !template.trim()) {
      setPreview('')
      return
    }
    let gone = false
    const t = setTimeout(() => {
      api<Decision>('POST', '/v1/messages', body(true))
        .then((d) => {
          if (gone) return
          setPreview(d.allowed ? (d.rendered?.text ?? '') : `Would be refused: ${d.message}`)
        })
        .catch((e: unknown) => !gone && setPreview(`Would be refused: ${messageOf(e)}`))
    }, PREVIEW_DEBOUNCE_MS)
    return () => {
      gone = true
      clearTimeout(t)
    }
    // body() reads exactly these.
  }, [text, template, variables, channel, from, subject, bcc, tags, files])

  async function send(): Promise<void> {
    if (busy) return
    setBusy(true)
    setError(null)
    setStatus('')
    try {
      await api('POST', '/v1/messages', body(false), {
        headers: { 'idempotency-key': idempotency.current },
      })
      idempotency.current = randomKey()
      setText('')
      setFiles([])
      setStatus('Message queued.')
      props.onSent()
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section class="composer" aria-labelledby="composer-title">
      <h2 id="composer-title">Compose on {channel}</h2>
      <form
        class="grid"
        onSubmit={(e) => {
          e.preventDefault()
          void send()
        }}
      >
        <label>
          Channel
          <select value={channel} onChange={(e) => setChannel(e.currentTarget.value)}>
            {eligible.map((e) => (
              <option key={e.channel} value={e.channel}>
                {e.channel}
              </option>
            ))}
          </select>
        </label>
        {isEmail && (
          <>
            <label>
              From
              <input
                value={from}
                placeholder="the channel's default mailbox"
                onInput={(e) => setFrom(e.currentTarget.value)}
              />
            </label>
            <label>
              Subject
              <input value={subject} onInput={(e) => setSubject(e.currentTarget.value)} />
            </label>
            <label>
              Bcc
              <input
                value={bcc}
                placeholder="a@example.com, b@example.com"
                onInput={(e) => setBcc(e.currentTarget.value)}
              />
            </label>
          </>
        )}
        <label>
          Message
          <textarea
            ref={textBox}
            rows={4}
            value={text}
            placeholder="Hi {{first_name|there}}, …"
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault()
                void send()
              }
            }}
          />
        </label>
        <label>
          Template
          <input
            value={template}
            placeholder="template name (instead of text)"
            onInput={(e) => setTemplate(e.currentTarget.value)}
          />
        </label>
        {template.trim() && (
          <label>
            Template variables
            <textarea
              rows={2}
              value={variables}
              placeholder="name=value, one a line"
              onInput={(e) => setVariables(e.currentTarget.value)}
            />
          </label>
        )}
        <label>
          Attachments
          <input
            type="file"
            multiple
            onChange={(e) => {
              readAttachments(e.currentTarget.files)
                .then(setFiles)
                .catch((err: unknown) => setError(messageOf(err)))
            }}
          />
        </label>
        {needsTags && (
          <label>
            Thread tags
            <input
              value={tags}
              placeholder={Array.isArray(tagsRule) ? tagsRule.join(', ') : 'at least one tag'}
              onInput={(e) => setTags(e.currentTarget.value)}
            />
          </label>
        )}
        <section class="preview" aria-label="Preview" aria-live="polite">
          <h3>Preview</h3>
          <p class="text">{preview}</p>
        </section>
        <div class="actions">
          <button type="submit" disabled={busy}>
            Send
          </button>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
        </div>
        <p role="status">{status}</p>
      </form>
      <Alert message={error} />
    </section>
  )
}

/** `name=value` lines → an object of strings. */
function parseVariables(s: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of s.split('\n')) {
    const i = line.indexOf('=')
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim()
  }
  return out
}

/** An `Idempotency-Key`: a double click or a retry after a lost answer sends once. */
function randomKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}
