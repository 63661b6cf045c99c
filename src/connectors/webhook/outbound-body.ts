/**
 * The JSON a webhook channel POSTs to its relay (DESIGN §6): field names are the wire contract
 * documented in docs/channels/webhook.md, snake_case like the rest of the API.
 */
import type { OutboundPayload } from '../types.js'

export interface WebhookOutboundBody {
  /** Our message id; also the `Idempotency-Key` header. */
  id: string
  channel: string
  thread_id: string
  to: {
    address: string
    contact_id: string
    first_name: string | null
    last_name: string | null
  }
  /** Always the final rendered text (a template's title, body and signature included). */
  text: string | null
  /** The template used, with its resolved variables; null for a plain text. */
  template: { name: string; variables: Record<string, string> } | null
  attachments: Array<{ filename: string; content_type: string; size: number; url: string }>
  email: {
    from: string
    subject: string
    bcc: string[]
    in_reply_to: string | null
    references: string[]
  } | null
  created_at: string
}

/** Builds the relay body from a payload (no I/O: attachment bytes stay behind their URL). */
export function toWebhookBody(out: OutboundPayload): WebhookOutboundBody {
  return {
    id: out.messageId,
    channel: out.channel,
    thread_id: out.threadId,
    to: {
      address: out.to,
      contact_id: out.contact.id,
      first_name: out.contact.firstName,
      last_name: out.contact.lastName,
    },
    text: out.text,
    template: out.template && { name: out.template.name, variables: out.template.variables },
    attachments: out.attachments.map((a) => ({
      filename: a.filename,
      content_type: a.contentType,
      size: a.size,
      url: a.url,
    })),
    email: out.email && {
      from: out.email.from,
      subject: out.email.subject,
      bcc: out.email.bcc,
      in_reply_to: out.email.inReplyTo,
      references: out.email.references,
    },
    created_at: out.createdAt,
  }
}
