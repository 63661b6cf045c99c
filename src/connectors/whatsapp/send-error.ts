/**
 * The one place where whatsapp-web.js failures become `SendError`s. The library reports everything
 * as plain errors thrown out of the browser (puppeteer protocol errors, page-side exceptions), so
 * the class is read from the message. The number lookup happens before anything is sent, so a
 * failure there never delivered; a failure inside `sendMessage` whose browser went away may have.
 */
import { SendError } from '../types.js'

export type SendPhase = 'lookup' | 'send'

/** 15 s: a browser restart or a WhatsApp Web reconnect takes several seconds. */
const BROWSER_RETRY_MS = 15_000
/** 30 s: reconnecting (backoff from 5 s) or a pairing in progress; no point polling faster. */
const NOT_CONNECTED_RETRY_MS = 30_000

/** The browser or its page went away mid-call (crash, reconnect, destroy()). */
const BROWSER_GONE =
  /Target closed|Session closed|Protocol error|Connection closed|detached Frame|Execution context was destroyed|frame was detached|browser has disconnected/i
/** Code in the page threw (WhatsApp Web changed, a model was not loaded yet). */
const EVALUATION_FAILED = /Evaluation failed/i

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  // Page-side errors carry a long stack from the minified WhatsApp Web bundle: keep the first line.
  return (text.split('\n')[0] ?? '').slice(0, 200)
}

/** The send was tried while the session was not `connected`. */
export function notConnected(state: string): SendError {
  return new SendError('retry', 'not_connected', `WhatsApp Web is not connected (${state})`, {
    retryAfterMs: NOT_CONNECTED_RETRY_MS,
  })
}

/** Maps anything thrown while sending to a `SendError` (a `SendError` passes through). */
export function toSendError(err: unknown, phase: SendPhase): SendError {
  if (err instanceof SendError) return err
  const afterHandOver = phase === 'send'
  const text = messageOf(err)
  if (err instanceof Error && err.name === 'AbortError') {
    return new SendError('retry', 'send_aborted', 'the send was aborted (stop or timeout)', {
      possiblyDelivered: afterHandOver,
      cause: err,
    })
  }
  if (BROWSER_GONE.test(text)) {
    return new SendError('retry', 'browser_error', `WhatsApp Web browser error: ${text}`, {
      retryAfterMs: BROWSER_RETRY_MS,
      possiblyDelivered: afterHandOver,
      cause: err,
    })
  }
  if (EVALUATION_FAILED.test(text)) {
    return new SendError('retry', 'evaluation_error', `WhatsApp Web page error: ${text}`, {
      cause: err,
    })
  }
  return new SendError('retry', 'whatsapp_error', `WhatsApp Web error: ${text}`, { cause: err })
}
