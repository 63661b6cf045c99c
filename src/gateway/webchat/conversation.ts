/**
 * What a visitor does in the conversation (DESIGN §12): read its history, write (through the
 * normal inbound path, so the console, app webhooks and the timeline see it like any inbound
 * message), report what it has seen, and say it is typing.
 */
import type { InboundAttachment } from '../../connectors/types.js'
import type { MessageRecord } from '../../store/types.js'
import { apiError, ruleError } from '../errors.js'
import { InboundRefused, receiveInbound, receiveStatus } from '../inbound.js'
import { liveEvent } from '../live/index.js'
import type { Services } from '../services.js'
import type { VisitorMessageBody } from './schemas.js'
import { visitorView, type WebchatMessageView } from './view.js'
import type { Visitor } from './visitor.js'

/** A history page when the widget does not say: a panel's worth. */
const DEFAULT_PAGE = 30
/** Outbound messages marked read by one `seen` at most: the newest unread a panel shows. */
const SEEN_MAX = 200

/** A page of the conversation: newest page first, oldest message first within it. */
export async function history(
  svc: Services,
  v: Visitor,
  before: string | undefined,
  limit = DEFAULT_PAGE,
): Promise<{ items: WebchatMessageView[]; next_before: string | null }> {
  const rows = await svc.store.webchat.history(v.contactId, v.name, before ?? null, limit + 1)
  const page = rows.slice(0, limit)
  const oldest = page[page.length - 1]
  return {
    items: page.reverse().map((m) => visitorView(svc, m)),
    next_before: rows.length > limit && oldest ? oldest.id : null,
  }
}

/**
 * The visitor writes: checked against the channel's limits (413/422 naming them), then handed
 * to the inbound use-case with `client_id` as the platform id, so a retry is answered with the
 * message the first attempt stored.
 */
export async function postMessage(
  svc: Services,
  v: Visitor,
  b: VisitorMessageBody,
): Promise<{ message_id: string; thread_id: string; client_id: string }> {
  const limits = v.channel.info.limits
  const rule = `channels.${v.name}.type`
  const text = b.text !== undefined && b.text.trim() !== '' ? b.text : null
  const files = b.attachments ?? []
  if (text === null && files.length === 0)
    throw ruleError('empty_message', 'give text or at least one attachment', rule)
  if (text !== null && text.length > limits.textMax)
    throw ruleError(
      'text_too_long',
      `the text is ${text.length} characters; channel ${v.name} takes at most ${limits.textMax}`,
      rule,
      { limit: limits.textMax, length: text.length },
    )
  if (files.length > limits.attachmentsMax)
    throw ruleError(
      'attachment_rejected',
      `${files.length} attachments; channel ${v.name} takes at most ${limits.attachmentsMax}`,
      rule,
      { max_count: limits.attachmentsMax },
    )
  const attachments: InboundAttachment[] = files.map((f, i) => {
    if (!/^[A-Za-z0-9+/=\s_-]*$/.test(f.data))
      throw apiError('invalid_field', `attachments[${i}].data: not base64`, {
        field: `attachments[${i}].data`,
      })
    const data = Buffer.from(f.data, 'base64')
    if (data.length > limits.attachmentBytesMax)
      throw apiError(
        'body_too_large',
        `attachments[${i}] is ${data.length} bytes; channel ${v.name} takes at most ${limits.attachmentBytesMax} a file`,
        { field: `attachments[${i}].data`, limit: limits.attachmentBytesMax },
      )
    const typeOk =
      limits.attachmentTypes.length === 0 ||
      limits.attachmentTypes.some((t) => f.content_type.startsWith(t))
    if (!typeOk)
      throw ruleError(
        'attachment_rejected',
        `attachments[${i}]: ${f.content_type} is not accepted (${limits.attachmentTypes.join(', ')})`,
        rule,
        { field: `attachments[${i}].content_type`, types: limits.attachmentTypes },
      )
    return { filename: f.filename, contentType: f.content_type, data }
  })
  try {
    const r = await receiveInbound(svc, v.name, {
      // Per visitor: two visitors' widgets may pick the same client ids.
      platformMessageId: `${v.contactId}:${b.client_id}`,
      from: { address: v.externalId },
      text,
      attachments,
    })
    svc.kick()
    return { message_id: r.messageId, thread_id: r.threadId, client_id: b.client_id }
  } catch (e) {
    if (e instanceof InboundRefused) throw ruleError(e.code, e.message, `channels.${v.name}`)
    throw e
  }
}

/**
 * The visitor has seen the conversation up to `upTo`: the outbound messages up to it that are
 * not read yet become `read` (forward-only, `message.status` webhooks) and their pending
 * fallbacks are cancelled.
 */
export async function markSeen(svc: Services, v: Visitor, upTo: string): Promise<number> {
  const m = await svc.store.messages.get(upTo)
  if (!m || m.contact_id !== v.contactId || m.channel !== v.name)
    throw apiError('not_found', `message ${upTo} is not in this conversation`, { message: upTo })
  // `history` pages below its `before`: `upTo~` sorts right after `upTo` (ids are [0-9a-z_]), so the page includes it.
  const rows: MessageRecord[] = await svc.store.webchat.history(
    v.contactId,
    v.name,
    `${upTo}~`,
    SEEN_MAX,
  )
  let read = 0
  for (const r of rows) {
    if (r.direction !== 'out' || (r.status !== 'sent' && r.status !== 'delivered')) continue
    await svc.store.webchat.cancel(r.id)
    if (await receiveStatus(svc, v.name, { messageId: r.id, status: 'read' })) read++
  }
  return read
}

/** The visitor is typing: a live event for the consoles (and the visitor's other tabs). */
export async function visitorTyping(svc: Services, v: Visitor): Promise<void> {
  const active = await svc.store.threads.listActiveByContact(v.contactId)
  const thread = active.find((t) => t.channel === v.name)?.id ?? null
  svc.live.publish([
    liveEvent(
      'webchat.typing',
      { contact_id: v.contactId, channel: v.name, thread_id: thread, from: 'visitor' },
      svc.now().toISOString(),
    ),
  ])
}
