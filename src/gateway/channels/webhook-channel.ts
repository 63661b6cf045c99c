/**
 * The webhook channel's endpoints (DESIGN §1.5): an app posts an inbound message — stored by the
 * same inbound flow as every platform's, its attachments read by the one loader — or a status
 * update of a message the channel sent. The signature was checked before (`webhook-signature.ts`).
 */
import type { z } from 'zod'
import { loadAttachments } from '../attachments/index.js'
import { notFound, ruleError } from '../errors.js'
import type { webhookInbound, webhookStatus } from '../http/schemas.js'
import { InboundRefused, receiveInbound, receiveStatus } from '../inbound.js'
import type { Services } from '../services.js'

/** Without the channel in the config, the webhook channel's default attachment limit. */
const DEFAULT_MAX_BYTES = 25 * 1024 * 1024

/** What `POST /v1/channels/{name}/inbound` answers. */
export interface WebhookInboundAnswer {
  message_id: string
  contact_id: string
  thread_id: string
  duplicate: boolean
}

/** An inbound message posted to the webhook channel `name`; a redelivery is `duplicate`. */
export async function receiveWebhookInbound(
  svc: Services,
  name: string,
  b: z.infer<typeof webhookInbound>,
): Promise<WebhookInboundAnswer> {
  const loaded = await loadAttachments(b.attachments ?? [], {
    maxBytes: svc.config().channels[name]?.info.limits.attachmentBytesMax ?? DEFAULT_MAX_BYTES,
    checkBase64: false,
    allowPrivate: svc.config().security.allow_private_urls,
  })
  try {
    const out = await receiveInbound(svc, name, {
      platformMessageId: b.id,
      from: {
        address: b.from.address,
        ...(b.from.first_name ? { firstName: b.from.first_name } : {}),
        ...(b.from.last_name ? { lastName: b.from.last_name } : {}),
        ...(b.from.email ? { email: b.from.email } : {}),
        ...(b.from.phone ? { phone: b.from.phone } : {}),
      },
      text: b.text ?? null,
      attachments: loaded.map((a) => ({
        filename: a.filename,
        contentType: a.content_type,
        data: a.data,
      })),
    })
    return {
      message_id: out.messageId,
      contact_id: out.contactId,
      thread_id: out.threadId,
      duplicate: !out.created,
    }
  } catch (e) {
    if (e instanceof InboundRefused)
      throw ruleError(e.code, e.message, `channels.${name}`, { field: 'from.address' })
    throw e
  }
}

/** What `POST /v1/channels/{name}/status` answers. */
export interface WebhookStatusAnswer {
  message_id: string
  status: string
  changed: boolean
}

/** A status update of a message the webhook channel `name` sent (by our id or the app's). */
export async function receiveWebhookStatus(
  svc: Services,
  name: string,
  b: z.infer<typeof webhookStatus>,
): Promise<WebhookStatusAnswer> {
  const m = b.message_id
    ? await svc.store.messages.get(b.message_id)
    : await svc.store.messages.findByPlatformId(name, b.platform_message_id ?? '')
  if (!m || m.channel !== name || m.direction !== 'out')
    throw notFound('message', b.message_id ?? b.platform_message_id ?? '')
  const moved = await receiveStatus(svc, name, {
    messageId: m.id,
    status: b.status,
    ...(b.error ? { error: b.error } : {}),
  })
  const now = await svc.store.messages.get(m.id)
  return { message_id: m.id, status: now?.status ?? m.status, changed: moved }
}
