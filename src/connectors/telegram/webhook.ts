/**
 * Webhook mode: registration with `setWebhook` (retried until it succeeds) and the handler for
 * `POST /hooks/telegram/<name>`, which only accepts requests carrying our `secret_token`.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { Api } from 'grammy'
import type { Update } from 'grammy/types'
import type { Logger } from 'pino'
import type { BackoffPolicy } from '../shared/backoff.js'
import { SupervisedLoop } from '../shared/supervised-loop.js'
import type { ConnectorContext } from '../types.js'
import { errText, isAuthError } from './send-error.js'
import { ALLOWED_UPDATES } from './inbound.js'
import { readableUpdate } from './update-shape.js'
import { g } from './signals.js'

const SECRET_HEADER = 'x-telegram-bot-api-secret-token'
/** Registration retries: short first, capped; it only runs until Telegram accepts the URL once. */
const RETRY: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 }

/**
 * The loop (not started) that registers `url` with Telegram until it is accepted or the token is
 * refused, reporting progress through the channel state; it ends when `signal` aborts.
 */
export function webhookRegistration(
  api: Api,
  url: string,
  secret: string,
  ctx: ConnectorContext,
  log: Logger,
  signal: AbortSignal,
): SupervisedLoop {
  return new SupervisedLoop({
    name: 'set-webhook',
    log,
    ...(ctx.loops ? { health: ctx.loops } : {}),
    signal,
    idleMs: 0,
    backoff: RETRY,
    tick: async ({ signal }) => {
      try {
        await api.setWebhook(
          url,
          { secret_token: secret, allowed_updates: ALLOWED_UPDATES },
          g(signal),
        )
        ctx.state({ state: 'connected' })
        return 'done'
      } catch (err) {
        if (signal.aborted) return 'done'
        if (isAuthError(err)) {
          ctx.state({
            state: 'error',
            detail: `the bot token was rejected (${err.error_code} ${err.description})`,
          })
          return 'done'
        }
        // e.g. "bad webhook: An HTTPS URL must be provided for webhook" when public_url is http
        ctx.state({
          state: 'error',
          detail: `setWebhook to ${url} failed (${errText(err)}); retrying`,
        })
        return 'backoff'
      }
    },
  })
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
