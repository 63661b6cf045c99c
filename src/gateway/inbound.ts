/**
 * Inbound flow (DESIGN §2): a connector (or the webhook channel's route) hands over a message; its
 * attachments become blobs, then one transaction upserts contact + identity (this is what opens
 * windows and satisfies contact-first), finds or creates the thread and stores the message,
 * deduplicated by the platform's id, with its app-webhook events.
 */
import type { InboundMessage, InboundResult, StatusUpdate } from '../connectors/types.js'
import { afterKeyword, keywordConsent } from './consent/index.js'
import { normalizeAddress } from '../rules/index.js'
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
  const seen = await svc.store.messages.findByPlatformId(channel, msg.platformMessageId)
  if (seen && seen.direction === 'in') {
    return {
      messageId: seen.id,
      contactId: seen.contact_id,
      threadId: seen.thread_id,
      created: false,
    }
  }
  const address = msg.email
    ? await repliedAddress(svc, channel, norm.address, msg.email)
    : norm.address
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
  const messageId = newId('msg')
  const keyword = keywordConsent(svc, ch.info.rules, channel, msg.text, messageId, now)
  const out = await svc.store.inbound.receive({
    ...(keyword ? { consent: keyword.plan } : {}),
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
    newMessageId: messageId,
    replyTo: msg.email
      ? [...(msg.email.inReplyTo ? [msg.email.inReplyTo] : []), ...msg.email.references]
      : [],
    text: msg.text,
    attachments,
    email,
    sentAt: msg.sentAt ?? now,
    // The store fills contact_id and thread_id in (null here keeps their place in the payload),
    // and queues thread.opened only when this message opened the thread.
    events: {
      threadOpened: told.events(
        'thread.opened',
        { thread_id: null, contact_id: null, channel, by: 'contact' },
        now,
      ),
      received: told.events(
        'message.inbound',
        {
          message_id: messageId,
          contact_id: null,
          thread_id: null,
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
    },
  })
  if (out.created) {
    svc.metrics.inbound.inc({ channel })
    await fillNames(svc, out.contactId, names, now)
  }
  if (out.created) {
    // The store filled the ids into what it queued; the live copies get them the same way.
    const ids = { contact_id: out.contactId, thread_id: out.threadId }
    svc.live.publish(
      told
        .taken()
        .filter((e) => e.type !== 'thread.opened' || out.threadCreated)
        .map((e) => ({ ...e, data: Object.assign({}, e.data, ids) })),
    )
  }
  if (keyword) await afterKeyword(svc, channel, out, keyword)
  return out
}

/** A known contact gets the names it lacks and the platform's current `display_name`. */
async function fillNames(
  svc: Services,
  contactId: string,
  names: InboundNames,
  now: string,
): Promise<void> {
  const c = await svc.store.contacts.get(contactId)
  const patch = c && contactNamePatch(c, names)
  if (patch) await svc.store.contacts.update(contactId, patch, now)
}

/**
 * Mail clients write an address in their own letter case (`Ana.Lopez@…` typed by an agent comes
 * back as `ana.lopez@…`), while identities match it exactly. A reply to one of our mails from the
 * address it went to, in another case, belongs to that identity rather than to a new contact.
 */
async function repliedAddress(
  svc: Services,
  channel: string,
  address: string,
  email: NonNullable<InboundMessage['email']>,
): Promise<string> {
  if (await svc.store.identities.find(channel, address)) return address
  for (const id of [...(email.inReplyTo ? [email.inReplyTo] : []), ...email.references]) {
    const m = await svc.store.messages.findByPlatformId(channel, id)
    if (m && m.address.toLowerCase() === address.toLowerCase()) return m.address
  }
  return address
}

/** A platform reports a status change of one of our messages (by our id or the platform's). */
export async function receiveStatus(
  svc: Services,
  channel: string,
  u: StatusUpdate,
): Promise<boolean> {
  const m = u.messageId
    ? await svc.store.messages.get(u.messageId)
    : u.platformMessageId
      ? await svc.store.messages.findByPlatformId(channel, u.platformMessageId)
      : null
  if (!m || m.direction !== 'out' || m.channel !== channel) return false
  // A platform's clock (WhatsApp: whole seconds) may read before our own last step; a status
  // never predates the one before it, so the history stays in order.
  const last = m.status_history.at(-1)?.at
  const reported = u.at ?? svc.now().toISOString()
  const at = last !== undefined && reported < last ? last : reported
  const status: MessageStatus = u.status
  const error = u.error ?? null
  const events = svc.events('message.status', statusEvent(m, status, error), at)
  const moved = await svc.store.messages.advance(m.id, status, at, error ? { error } : {}, events)
  if (moved) svc.live.publish([liveEvent('message.status', statusEvent(m, status, error), at)])
  if (moved && status === 'failed')
    svc.metrics.failed.inc({ channel, code: error?.code ?? 'platform' })
  return moved
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
