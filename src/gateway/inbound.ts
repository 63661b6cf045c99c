/**
 * Inbound flow (DESIGN §2): a connector (or the webhook channel's route) hands over a message; its
 * attachments become blobs, then one transaction upserts contact + identity (this is what opens
 * windows and satisfies contact-first), finds or creates the thread and stores the message,
 * deduplicated by the platform's id, with its app-webhook events.
 */
import type { InboundMessage, InboundResult, StatusUpdate } from '../connectors/types.js'
import { normalizeAddress, strictSingleOpen } from '../rules/index.js'
import type { InboundPlan, MessageError, MessageRecord, MessageStatus } from '../store/types.js'
import { newId } from './ids.js'
import {
  contactNamePatch,
  inboundNames,
  newContactNames,
  type InboundNames,
} from './inbound-names.js'
import { liveEvent, recordEvents } from './live/index.js'
import type { Services } from './services.js'

export class InboundRefused extends Error {
  constructor(
    readonly code: 'channel_unknown' | 'address_invalid',
    message: string,
  ) {
    super(message)
  }
}

export async function receiveInbound(
  svc: Services,
  channel: string,
  msg: InboundMessage,
): Promise<InboundResult> {
  const ch = svc.config().channels[channel]
  if (!ch) throw new InboundRefused('channel_unknown', `channel ${channel} is not configured`)
  const norm = normalizeAddress(ch.info.addressKind, msg.from.address)
  if (!norm.ok) {
    throw new InboundRefused('address_invalid', `from.address: ${norm.reason}`)
  }
  // Dedupe before writing blobs: a redelivered message costs one indexed read.
  const seen = svc.store.messages.findByPlatformId(channel, msg.platformMessageId)
  if (seen && seen.direction === 'in') {
    return {
      messageId: seen.id,
      contactId: seen.contact_id,
      threadId: seen.thread_id,
      created: false,
    }
  }
  const address = msg.email ? repliedAddress(svc, channel, norm.address, msg.email) : norm.address
  const now = svc.now().toISOString()
  const attachments: InboundPlan['attachments'] = []
  for (const a of msg.attachments) {
    const blob = await svc.store.blobs.put(a.data)
    attachments.push({
      id: newId('att'),
      sha256: blob.sha256,
      filename: a.filename,
      content_type: a.contentType,
      size: blob.size,
    })
  }
  const email = msg.email
    ? {
        from: address,
        subject: msg.email.subject,
        bcc: [],
        message_id: msg.email.messageId,
        in_reply_to: msg.email.inReplyTo,
        references: msg.email.references,
      }
    : null
  const names = inboundNames(msg.from)
  const told = recordEvents(svc.events)
  const out = svc.store.inbound.receive({
    now,
    channel,
    platformMessageId: msg.platformMessageId,
    address,
    newContact: {
      id: newId('ct'),
      ...newContactNames(names),
      email: msg.from.email ?? (ch.info.addressKind === 'email' ? address : null),
      phone: msg.from.phone ?? (ch.info.addressKind === 'phone' ? address : null),
    },
    newIdentityId: newId('id'),
    newThreadId: newId('th'),
    newMessageId: newId('msg'),
    replyTo: msg.email
      ? [...(msg.email.inReplyTo ? [msg.email.inReplyTo] : []), ...msg.email.references]
      : [],
    allowWithOpenThread: !strictSingleOpen(ch.info.rules),
    text: msg.text,
    attachments,
    email,
    sentAt: msg.sentAt ?? now,
    events: (ids) => [
      ...(ids.threadCreated
        ? told.events(
            'thread.opened',
            { thread_id: ids.threadId, contact_id: ids.contactId, channel, by: 'contact' },
            now,
          )
        : []),
      ...told.events(
        'message.inbound',
        {
          message_id: ids.messageId,
          contact_id: ids.contactId,
          thread_id: ids.threadId,
          channel,
          from: address,
          text: msg.text,
          attachments: attachments.map((a) => ({
            id: a.id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
          })),
        },
        now,
      ),
    ],
  })
  if (out.created) {
    svc.metrics.inbound.inc({ channel })
    fillNames(svc, out.contactId, names, now)
  }
  if (out.created) svc.live.publish(told.taken())
  return out
}

/** A known contact gets the names it lacks and the platform's current `display_name`. */
function fillNames(svc: Services, contactId: string, names: InboundNames, now: string): void {
  const c = svc.store.contacts.get(contactId)
  const patch = c && contactNamePatch(c, names)
  if (patch) svc.store.contacts.update(contactId, patch, now)
}

/**
 * Mail clients write an address in their own letter case (`Ana.Lopez@…` typed by an agent comes
 * back as `ana.lopez@…`), while identities match it exactly. A reply to one of our mails from the
 * address it went to, in another case, belongs to that identity rather than to a new contact.
 */
function repliedAddress(
  svc: Services,
  channel: string,
  address: string,
  email: NonNullable<InboundMessage['email']>,
): string {
  if (svc.store.identities.find(channel, address)) return address
  for (const id of [...(email.inReplyTo ? [email.inReplyTo] : []), ...email.references]) {
    const m = svc.store.messages.findByPlatformId(channel, id)
    if (m && m.address.toLowerCase() === address.toLowerCase()) return m.address
  }
  return address
}

/** A platform reports a status change of one of our messages (by our id or the platform's). */
export function receiveStatus(svc: Services, channel: string, u: StatusUpdate): Promise<boolean> {
  const m = u.messageId
    ? svc.store.messages.get(u.messageId)
    : u.platformMessageId
      ? svc.store.messages.findByPlatformId(channel, u.platformMessageId)
      : null
  if (!m || m.direction !== 'out' || m.channel !== channel) return Promise.resolve(false)
  // A platform's clock (WhatsApp: whole seconds) may read before our own last step; a status
  // never predates the one before it, so the history stays in order.
  const last = m.status_history.at(-1)?.at
  const reported = u.at ?? svc.now().toISOString()
  const at = last !== undefined && reported < last ? last : reported
  const status: MessageStatus = u.status
  const error = u.error ?? null
  const events = svc.events('message.status', statusEvent(m, status, error), at)
  const moved = svc.store.messages.advance(m.id, status, at, error ? { error } : {}, events)
  if (moved) svc.live.publish([liveEvent('message.status', statusEvent(m, status, error), at)])
  if (moved && status === 'failed')
    svc.metrics.failed.inc({ channel, code: error?.code ?? 'platform' })
  return Promise.resolve(moved)
}

/** The `message.status` event's data. */
export function statusEvent(
  m: Pick<MessageRecord, 'id' | 'thread_id' | 'contact_id' | 'channel' | 'platform_message_id'>,
  status: MessageStatus,
  error: MessageError | null,
): Record<string, unknown> {
  return {
    message_id: m.id,
    thread_id: m.thread_id,
    contact_id: m.contact_id,
    channel: m.channel,
    platform_message_id: m.platform_message_id,
    status,
    error,
  }
}
