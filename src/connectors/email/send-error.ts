/**
 * The one place where an SMTP failure becomes a `SendError` (STYLE: errors classified at the edge).
 * The dispatcher decides on `kind` alone: a 4xx reply or a lost connection is retried, a 5xx is
 * final, and a hard "no such user" also marks the address unreachable.
 */
import { SendError } from '../types.js'

/** What nodemailer puts on its errors (`code`, and the server's reply when there was one). */
export interface SmtpFailure {
  code?: string
  responseCode?: number
  response?: string
  command?: string
  message?: string
  recipient?: string
  rejectedErrors?: SmtpFailure[]
}

// A permanent refusal that names the mailbox itself, not the message or the sender.
const NO_SUCH_USER_CODES = new Set([550, 551, 553])
const NO_SUCH_USER_TEXT = /no such user|user unknown|unknown user|mailbox unavailable|\b5\.1\.1\b/i
// nodemailer codes for a message that can never be sent as built: retrying cannot help.
const REFUSED_LOCALLY = new Set(['EENVELOPE', 'EMESSAGE', 'ECONFIG', 'EFILEACCESS', 'EURLACCESS'])
const REPLY_MAX_CHARS = 300 // enough for any server's reason; keeps a chatty reply out of the store

/**
 * Maps a nodemailer error to a `SendError`. `to` picks the customer's own RCPT reply out of a
 * multi-recipient failure (bcc recipients may be refused for other reasons); `dataStarted` says
 * whether message bytes had gone out, which makes a lost connection an unknown outcome.
 */
export function toSendError(
  err: unknown,
  to: string,
  dataStarted: boolean,
  redact: (text: string) => string = (text) => text,
): SendError {
  const failure = recipientFailure(asFailure(err), to)
  const reply = serverReply(failure, redact)
  if (failure.code === 'EAUTH' || failure.code === 'ENOAUTH') {
    const message = `SMTP login failed: ${reply ?? 'no reason given'}`
    return new SendError('rejected', 'smtp_auth', message, { cause: err })
  }
  const status = failure.responseCode
  if (status !== undefined && status >= 400 && status < 500) {
    // The server answered with a temporary refusal, so nothing was accepted: a plain retry.
    return new SendError('retry', 'smtp_temporary', `SMTP ${reply}`, { cause: err })
  }
  if (status !== undefined && status >= 500) {
    const aboutMailbox = failure.command !== 'MAIL FROM' && NO_SUCH_USER_CODES.has(status)
    if (aboutMailbox && NO_SUCH_USER_TEXT.test(reply ?? '')) {
      return new SendError('unreachable', 'smtp_no_such_user', `SMTP ${reply}`, { cause: err })
    }
    return new SendError('rejected', 'smtp_rejected', `SMTP ${reply}`, { cause: err })
  }
  if (failure.code !== undefined && REFUSED_LOCALLY.has(failure.code)) {
    const detail = redact(clip(failure.message ?? 'invalid'))
    return new SendError('rejected', 'smtp_invalid_message', `SMTP ${detail}`, {
      cause: err,
    })
  }
  // Connection refused or lost, TLS failure, timeout, abort: the outcome is unknown once the
  // message body had started to go out (the server may have queued it before the line dropped).
  const what = failure.code ?? 'error'
  const detail = redact(clip(failure.message ?? ''))
  return new SendError('retry', 'smtp_connection', `SMTP ${what}: ${detail}`, {
    possiblyDelivered: dataStarted,
    cause: err,
  })
}

/** The server's reply, one line, with any secret it might echo removed by `redact`. */
function serverReply(
  failure: SmtpFailure,
  redact: (text: string) => string = (text) => text,
): string | undefined {
  return failure.response ? redact(clip(failure.response.replace(/\s+/g, ' ').trim())) : undefined
}

export function asFailure(err: unknown): SmtpFailure {
  if (typeof err !== 'object' || err === null) return { message: String(err) }
  const e = err as Record<string, unknown>
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
  return {
    code: text(e.code),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    response: text(e.response),
    command: text(e.command),
    message: text(e.message),
    recipient: text(e.recipient),
    rejectedErrors: Array.isArray(e.rejectedErrors) ? e.rejectedErrors.map(asFailure) : undefined,
  }
}

/** The RCPT reply about `to` when the error carries one per recipient, else the error itself. */
function recipientFailure(failure: SmtpFailure, to: string): SmtpFailure {
  const own = failure.rejectedErrors?.find((r) => r.recipient?.toLowerCase() === to.toLowerCase())
  return own ?? failure
}

function clip(text: string): string {
  return text.length > REPLY_MAX_CHARS ? `${text.slice(0, REPLY_MAX_CHARS)}…` : text
}
