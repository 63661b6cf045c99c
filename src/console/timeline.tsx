/**
 * The unified timeline (DESIGN §1.8): every message on every channel and the thread events, oldest
 * first. Outgoing messages name their author; email shows sender, subject and bcc (agents see bcc,
 * customers never do). Everything from data is rendered as text.
 */
import type { Message, ThreadEvent, TimelineItem } from './types.js'

export function Timeline({ items }: { items: TimelineItem[] }) {
  return (
    <section class="timeline" aria-label="Timeline">
      <h2>Timeline</h2>
      {items.length === 0 && <p>Nothing yet.</p>}
      <ol>
        {items.map((it) =>
          it.kind === 'message' ? (
            <MessageItem key={it.message.id} m={it.message} />
          ) : (
            <EventItem key={it.event.id} e={it.event} />
          ),
        )}
      </ol>
    </section>
  )
}

function MessageItem({ m }: { m: Message }) {
  const who =
    m.direction === 'in'
      ? `From the contact on ${m.channel}`
      : `To the contact on ${m.channel}, by ${m.author.kind}${m.author.id ? ` ${m.author.id}` : ''}`
  return (
    <li class={`msg msg-${m.direction}`}>
      <p class="meta">
        <time dateTime={m.created_at}>{new Date(m.created_at).toLocaleString()}</time> · {who}
        {m.direction === 'out' && ` · ${m.status}`}
      </p>
      {m.email && (
        <p class="meta">
          From: {m.email.from}
          {m.email.subject && ` · Subject: ${m.email.subject}`}
          {m.email.bcc.length > 0 && ` · Bcc: ${m.email.bcc.join(', ')}`}
        </p>
      )}
      {m.template && <p class="meta">Template: {m.template.name}</p>}
      {m.text && <p class="text">{m.text}</p>}
      {m.attachments.length > 0 && (
        <p class="meta">Attachments: {m.attachments.map((a) => a.filename).join(', ')}</p>
      )}
      {m.error && <p class="warn">{`${m.error.code}: ${m.error.message}`}</p>}
    </li>
  )
}

function EventItem({ e }: { e: ThreadEvent }) {
  const extra =
    e.type === 'tagged' && Array.isArray(e.data.tags) ? ` (${e.data.tags.join(', ')})` : ''
  const to =
    e.type === 'assigned' && typeof e.data.assignee === 'string' ? ` to ${e.data.assignee}` : ''
  return (
    <li class="event">
      <p class="meta">
        <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time> · Thread {e.type}
        {to}
        {extra} by {e.actor}
      </p>
    </li>
  )
}
