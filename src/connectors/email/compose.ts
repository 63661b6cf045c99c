/**
 * An outbound payload → the nodemailer message. The envelope is built here, explicitly: the
 * customer and the bcc recipients are all SMTP recipients, but only the customer is named in a
 * header — a bcc never appears in what the customer receives.
 */
import type { SendMailOptions } from 'nodemailer'
import { SendError, type OutboundPayload } from '../types.js'
import { textToHtml } from './html-body.js'

// The rules always give a subject (theirs falls back to 'Message'); same here for a direct caller.
const FALLBACK_SUBJECT = 'Message'

export interface ComposeOptions {
  /** The channel's `senders`, lowercased; the first is the default. */
  senders: string[]
  defaultSubject: string | undefined
}

export interface ComposedMail {
  mail: SendMailOptions
  /** `<msg_…@sender-domain>`: the Message-ID header, returned as the platform message id. */
  messageId: string
}

export async function composeMail(
  out: OutboundPayload,
  opts: ComposeOptions,
): Promise<ComposedMail> {
  const email = out.email
  const from = pickSender(email?.from, opts.senders)
  const domain = from.slice(from.lastIndexOf('@') + 1)
  const messageId = `<${out.messageId}@${domain}>`
  const text = out.text ?? ''
  const attachments = await Promise.all(
    out.attachments.map(async (a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: await a.read(),
    })),
  )
  const references = email?.references ?? []
  const mail: SendMailOptions = {
    from,
    to: out.to,
    subject: email?.subject || opts.defaultSubject || FALLBACK_SUBJECT,
    messageId,
    text,
    html: textToHtml(text),
    attachments,
    envelope: { from, to: [out.to, ...(email?.bcc ?? [])] },
    signal: out.signal,
  }
  if (email?.inReplyTo) mail.inReplyTo = email.inReplyTo
  if (references.length > 0) mail.references = references
  if (email?.listUnsubscribe) {
    // RFC 8058: the URL in List-Unsubscribe, and the POST a mail client makes to it, one click.
    mail.list = { unsubscribe: email.listUnsubscribe }
    mail.headers = { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
  }
  return { mail, messageId }
}

/**
 * The rules already refused a sender outside `senders` (422 `sender_unknown`); checking again here
 * keeps a job queued before a config reload from sending as a mailbox the config no longer lists.
 */
function pickSender(wanted: string | undefined, senders: string[]): string {
  const lower = wanted?.trim().toLowerCase()
  const sender = lower ? senders.find((s) => s === lower) : senders[0]
  if (sender === undefined) {
    throw new SendError('rejected', 'sender_unknown', `${wanted ?? 'no sender'} is not in senders`)
  }
  return sender
}
