/**
 * A message as the visitor sees it (DESIGN §12): direction, who wrote it (the agent's display name
 * from `auth.keys`, never a key id), text, attachments as signed links, status and time. No
 * addresses, ids of keys or anything else internal; the widget renders `text` as text.
 */
import type { z } from 'zod'
import type { MessageRecord } from '../../store/types.js'
import type { Services } from '../services.js'
import type { webchatMessage } from './schemas.js'

export type WebchatMessageView = z.output<typeof webchatMessage>

export function visitorView(svc: Services, m: MessageRecord): WebchatMessageView {
  const nowMs = svc.now().getTime()
  const agent =
    m.author.kind === 'agent' && m.author.id !== null
      ? (svc.config().auth.keys.find((k) => k.id === m.author.id)?.name ?? null)
      : null
  return {
    id: m.id,
    direction: m.direction,
    author: m.direction === 'in' ? 'visitor' : m.author.kind === 'contact' ? 'app' : m.author.kind,
    author_name: agent,
    text: m.text,
    attachments: m.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      content_type: a.content_type,
      size: a.size,
      url: svc.links.url(a.id, nowMs),
    })),
    status: m.status,
    created_at: m.created_at,
  }
}
