/**
 * One raw mail (from IMAP or the SMTP listener) → what the daemon gets: an inbound message, a
 * failed-delivery status for one of our mails (a bounce), or nothing (with the reason, logged).
 */
import { createHash } from 'node:crypto'
import type { ParsedMail } from 'mailparser'
import type { InboundMessage, StatusUpdate } from '../types.js'
import { readBounce } from './bounce.js'
import { trimQuotedReply } from './quote-trim.js'

export type MailOutcome =
  | { kind: 'message'; message: InboundMessage }
  | { kind: 'status'; update: StatusUpdate }
  | { kind: 'ignored'; reason: string }

export interface ParseOptions {
  /** Platform id when the mail has no Message-ID header (stable across re-deliveries). */
  fallbackId: string
  /** The channel's own addresses (lowercased): mail from them is our copy, not a customer's. */
  ownAddresses: ReadonlySet<string>
}

export async function parseMail(raw: Buffer, opts: ParseOptions): Promise<MailOutcome> {
  const simpleParser = await mailparser()
  const mail = await simpleParser(raw, { skipHtmlToText: false, skipTextToHtml: true })
  const bounce = readBounce(mail)
  if (bounce) {
    if (!bounce.failed) return { kind: 'ignored', reason: 'delay notification' }
    if (!bounce.originalMessageId) return { kind: 'ignored', reason: 'bounce without Message-ID' }
    return {
      kind: 'status',
      update: {
        platformMessageId: bounce.originalMessageId,
        status: 'failed',
        error: { code: 'bounced', message: bounce.diagnostic },
        at: mail.date?.toISOString(),
      },
    }
  }
  const sender = mail.from?.value.find((a) => a.address)
  const address = sender?.address?.trim().toLowerCase()
  if (!address) return { kind: 'ignored', reason: 'no From address' }
  if (opts.ownAddresses.has(address)) return { kind: 'ignored', reason: 'sent by our own address' }
  const text = mail.text ? trimQuotedReply(mail.text).trim() : ''
  const message: InboundMessage = {
    platformMessageId: mail.messageId ?? opts.fallbackId,
    from: { address, email: address, ...displayNameOf(sender?.name, address) },
    text: text === '' ? null : text,
    attachments: mail.attachments.map((a, i) => ({
      filename: a.filename ?? `attachment-${i + 1}${extensionFor(a.contentType)}`,
      contentType: a.contentType,
      data: a.content,
    })),
    email: {
      subject: mail.subject ?? null,
      messageId: mail.messageId ?? null,
      inReplyTo: firstId(mail.inReplyTo),
      references: referencesOf(mail),
    },
  }
  if (mail.date && !Number.isNaN(mail.date.getTime())) message.sentAt = mail.date.toISOString()
  return { kind: 'message', message }
}

/**
 * mailparser, loaded with the first mail: with its character-set tables and HTML-to-text it is
 * the largest part of the email connector, and a mailbox may stay quiet for hours (DESIGN §8 P5).
 */
type SimpleParser = (typeof import('mailparser'))['simpleParser']
let loaded: Promise<SimpleParser> | null = null
function mailparser(): Promise<SimpleParser> {
  loaded ??= import('mailparser').then((m) => m.simpleParser)
  return loaded
}

/** A stable id for a mail without Message-ID: the same bytes (an MTA retry) give the same id. */
export function contentId(raw: Buffer): string {
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`
}

/**
 * The `From:` phrase as the sender's display name (the gateway splits it into first/last name).
 * Mail clients fill in the address itself when the person set no name: that is no name at all.
 * @internal exported for tests
 */
export function displayNameOf(name: string | undefined, address: string): { displayName?: string } {
  const clean = (name ?? '').trim()
  if (clean === '' || clean.toLowerCase() === address) return {}
  return { displayName: clean }
}

function referencesOf(mail: ParsedMail): string[] {
  return messageIds(mail.references)
}

function firstId(value: string | undefined): string | null {
  return messageIds(value)[0] ?? null
}

/**
 * The Message-IDs in an In-Reply-To or References value, each as `<…>` like the ones we store.
 * Clients write them separated by spaces, run together (`<a@x><b@y>`), after an RFC 822 phrase
 * (`Your message of … <a@x>`), or without brackets; mailparser wraps the whole value in one pair
 * of brackets, so each id is read out of it here.
 * @internal exported for tests
 */
export function messageIds(value: string | string[] | undefined): string[] {
  const text = Array.isArray(value) ? value.join(' ') : (value ?? '')
  const bracketed = [...text.matchAll(/<([^<>\s]+)>/g)].map((m) => `<${m[1]}>`)
  if (bracketed.length > 0) return bracketed
  return text
    .split(/[\s<>]+/)
    .filter((token) => token.includes('@'))
    .map((token) => `<${token}>`)
}

function extensionFor(contentType: string): string {
  const sub = contentType.split('/')[1]?.split(/[;+]/)[0]
  return sub && /^[a-z0-9.-]{1,10}$/i.test(sub) ? `.${sub}` : ''
}
