/**
 * Recognises a delivery status notification (a bounce) and reads which of our mails it is about
 * and why. RFC 3464 reports (multipart/report; report-type=delivery-status) carry the reason in
 * machine-readable fields; older MTAs send a plain mail From MAILER-DAEMON or postmaster with the
 * original headers attached or quoted. Either way the original's Message-ID is in the body.
 */
import type { ParsedMail } from 'mailparser'

export interface Bounce {
  /** The bounced mail's Message-ID (`<…>`), when the report includes its headers. */
  originalMessageId: string | null
  /** False for "delayed" warnings: the MTA still retries, nothing failed yet. */
  failed: boolean
  /** The reason: the remote server's reply (Diagnostic-Code) or the DSN status. */
  diagnostic: string
}

const DAEMON_SENDER = /^(mailer-daemon|postmaster)@/i
const DELAY_WORDING =
  /\b(delayed|delay notification|warning message only|will (?:be )?retr(?:y|ied))\b/i
const DIAGNOSTIC_MAX_CHARS = 500 // a whole transcript can follow; the reply line is what matters

/** The bounce this mail is, or null when it is an ordinary mail. */
export function readBounce(mail: ParsedMail): Bounce | null {
  const isReport = isDeliveryReport(mail.headers.get('content-type'))
  const sender = mail.from?.value[0]?.address ?? ''
  if (!isReport && !DAEMON_SENDER.test(sender)) return null

  // mailparser folds the message/delivery-status part into the text; the original headers arrive
  // as a text/rfc822-headers or message/rfc822 attachment, or quoted in the text.
  const text = mail.text ?? ''
  const attached = mail.attachments
    .filter((a) => /^(text\/rfc822-headers|message\/rfc822)$/i.test(a.contentType))
    .map((a) => a.content.toString('utf8'))
  const fields = reportFields(text)
  const actions = fields.get('action') ?? []
  const failed =
    actions.length > 0
      ? actions.some((a) => a.toLowerCase() === 'failed')
      : !DELAY_WORDING.test(`${mail.subject ?? ''}\n${text}`)
  return {
    originalMessageId: findMessageId([...attached, text]),
    failed,
    diagnostic: clip(
      fields.get('diagnostic-code')?.[0]?.replace(/^\s*smtp\s*;\s*/i, '') ??
        statusText(fields.get('status')?.[0]) ??
        firstReplyLine(text) ??
        mail.subject ??
        'delivery failed',
    ),
  }
}

/** `multipart/report; report-type=delivery-status`, as mailparser hands the header over. */
function isDeliveryReport(header: unknown): boolean {
  if (typeof header !== 'object' || header === null) return false
  const { value, params } = header as { value?: unknown; params?: Record<string, unknown> }
  const reportType = params?.['report-type']
  return (
    typeof value === 'string' &&
    value.toLowerCase() === 'multipart/report' &&
    typeof reportType === 'string' &&
    reportType.toLowerCase() === 'delivery-status'
  )
}

/** `Field: value` lines of a delivery-status body (folded lines joined), by lowercase name. */
function reportFields(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>()
  const unfolded = text.replace(/\r\n?/g, '\n').replace(/\n[ \t]+/g, ' ')
  for (const match of unfolded.matchAll(/^(Action|Status|Diagnostic-Code):[ \t]*(.+)$/gim)) {
    const name = (match[1] ?? '').toLowerCase()
    fields.set(name, [...(fields.get(name) ?? []), (match[2] ?? '').trim()])
  }
  return fields
}

/** The original's Message-ID as `<…>`, the form we store, even where a report left off the brackets. */
function findMessageId(sources: string[]): string | null {
  for (const source of sources) {
    const match = /^Message-ID:[ \t]*(?:\r?\n[ \t]+)?<?([^<>\s]+@[^<>\s]+)/im.exec(source)
    if (match?.[1]) return `<${match[1]}>`
  }
  return null
}

function statusText(status: string | undefined): string | undefined {
  return status ? `status ${status}` : undefined
}

/** Old-style bounces quote the remote reply as a line starting with a 5xx/4xx code. */
function firstReplyLine(text: string): string | undefined {
  return /^\s*([45]\d\d[ -].+)$/m.exec(text)?.[1]?.trim()
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > DIAGNOSTIC_MAX_CHARS ? `${line.slice(0, DIAGNOSTIC_MAX_CHARS)}…` : line
}
