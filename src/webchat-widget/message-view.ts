/** One message as the panel shows it: its text, its attachments (images inline), and a status line. */
import { el } from './dom.js'
import type { ChatAttachment, ChatMessage } from './types.js'

/** What the visitor's own messages say about their state (agents' messages show only the time). */
const STATUS_LABEL: Record<string, string> = {
  sending: 'Sending…',
  failed: 'Not sent',
  read: 'Seen',
}

export function renderMessage(
  m: ChatMessage,
  attachmentUrl: (a: ChatAttachment) => string,
): HTMLElement {
  const node = el('div', { class: `msg ${m.direction}`, 'data-id': m.id })
  if (m.text) node.append(el('span', { class: 'text' }, m.text))
  for (const a of m.attachments ?? []) {
    const href = attachmentUrl(a)
    const link = el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, a.filename)
    if (a.content_type.startsWith('image/') && href) {
      link.textContent = ''
      link.append(el('img', { src: href, alt: a.filename }))
    }
    node.append(link)
  }
  node.append(el('span', { class: 'meta' }, metaLine(m)))
  return node
}

function metaLine(m: ChatMessage): string {
  const d = new Date(m.created_at)
  const time = Number.isNaN(d.getTime())
    ? ''
    : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
  const label = m.direction === 'in' ? STATUS_LABEL[m.status] : undefined
  return label ? `${time} · ${label}` : time
}
