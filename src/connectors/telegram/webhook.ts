/**
 * Webhook mode: registration with `setWebhook` (retried until it succeeds) and the handler for
 * `POST /hooks/telegram/<name>`, which only accepts requests carrying our `secret_token`.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Api } from 'grammy'
import type { Update } from 'grammy/types'
import type { Logger } from 'pino'
import type { ConnectorContext } from '../types.js'
import { errText, isAuthError } from './send-error.js'
import { ALLOWED_UPDATES } from './inbound.js'
import { readableUpdate } from './update-shape.js'
import { g, sleep } from './signals.js'

const SECRET_HEADER = 'x-telegram-bot-api-secret-token'
/** Registration retries: short first, capped; it only runs until Telegram accepts the URL once. */
const RETRY_START_MS = 1_000
const RETRY_MAX_MS = 60_000

/** Register `url` with Telegram; reports progress through the channel state. Never throws. */
export async function registerWebhook(
  api: Api,
  url: string,
  secret: string,
  ctx: ConnectorContext,
  signal: AbortSignal,
): Promise<void> {
  let wait = RETRY_START_MS
  while (!signal.aborted) {
    try {
      await api.setWebhook(
        url,
        { secret_token: secret, allowed_updates: ALLOWED_UPDATES },
        g(signal),
      )
      ctx.state({ state: 'connected' })
      return
    } catch (err) {
      if (signal.aborted) return
      if (isAuthError(err)) {
        ctx.state({
          state: 'error',
          detail: `the bot token was rejected (${err.error_code} ${err.description})`,
        })
        return
      }
      // e.g. "bad webhook: An HTTPS URL must be provided for webhook" when public_url is http
      ctx.state({
        state: 'error',
        detail: `setWebhook to ${url} failed (${errText(err)}); retrying`,
      })
      await sleep(wait, signal)
      wait = Math.min(wait * 2, RETRY_MAX_MS)
    }
  }
}

/**
 * Answer one webhook request: 401 without the right secret, 400 for a body that is not an update,
 * 503 when storing failed (Telegram then redelivers), 200 otherwise (an update of a shape we do
 * not read included: skipped).
 */
export async function answerWebhook(
  req: Request,
  secret: string,
  handleUpdate: (update: Update) => Promise<void>,
  log: Logger,
): Promise<Response> {
  if (req.method !== 'POST') return new Response('method not allowed', { status: 405 })
  if (!sameSecret(req.headers.get(SECRET_HEADER) ?? '', secret)) {
    return new Response('unauthorized', { status: 401 })
  }
  let update: Update
  try {
    update = (await req.json()) as Update
  } catch {
    return new Response('body is not JSON', { status: 400 })
  }
  if (typeof update !== 'object' || update === null || typeof update.update_id !== 'number') {
    return new Response('body is not a Telegram update', { status: 400 })
  }
  if (!readableUpdate(update)) {
    // Authentic but odd: answered 200, or Telegram would hold the updates after it back.
    log.warn({ update_id: update.update_id }, 'telegram: skipped an update of unknown shape')
    return new Response(null, { status: 200 })
  }
  try {
    await handleUpdate(update)
  } catch (err) {
    log.error(
      { reason: errText(err), update_id: update.update_id },
      'telegram: webhook update failed',
    )
    // Not stored (the store is busy or full, a download failed): Telegram delivers it again.
    return new Response('could not store the update', { status: 503 })
  }
  return new Response(null, { status: 200 })
}

/** Constant-time comparison that does not leak the secret's length either. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}
