/**
 * Long polling with a durable offset, on the supervised loop (one tick: one getUpdates and its
 * updates). An update's offset is stored only after `ctx.inbound` resolved, so a crash re-reads
 * at most the update in hand (deduplicated by the daemon) and a restart never re-reads a stored
 * one. Telegram's failures change the channel state and back off without being errors of the
 * loop; an update the daemon could not store is one (logged, counted, backed off, retried).
 */
import { GrammyError, type Api } from 'grammy'
import type { Update } from 'grammy/types'
import type { Logger } from 'pino'
import type { BackoffPolicy } from '../shared/backoff.js'
import { SupervisedLoop } from '../shared/supervised-loop.js'
import type { ChannelState, ConnectorContext } from '../types.js'
import { errText, isAuthError } from './send-error.js'
import { ALLOWED_UPDATES } from './inbound.js'
import { g } from './signals.js'

/** The kv key of the next update id to ask for. @internal exported for tests */
export const OFFSET_KEY = 'telegram.offset'
/** Long-poll length: Telegram holds the request up to this long when there is nothing new. */
export const POLL_TIMEOUT_S = 30
/** Backoff for network/5xx failures: short at first, capped so recovery shows within a minute. */
const BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 }
/** Two pollers steal each other's requests: pause long enough for a person to stop the other. */
const CONFLICT_RETRY_MS = 30_000
/** A rejected token does not heal by itself; look again now and then in case of a hiccup. */
const AUTH_RETRY_MS = 5 * 60_000

export interface PollerDeps {
  api: Api
  ctx: ConnectorContext
  log: Logger
  /** Turns one update into an inbound message; throws when it must be retried. */
  handleUpdate(update: Update, signal: AbortSignal): Promise<void>
}

/** The polling loop, not started; it ends when `signal` aborts. */
export function pollingLoop(deps: PollerDeps, signal: AbortSignal): SupervisedLoop {
  const { api, ctx, log } = deps
  // start() reported `connected` after getMe; saying it again once polling works is harmless.
  let healthy = false
  const setState = (state: ChannelState): void => {
    healthy = state.state === 'connected'
    ctx.state(state)
  }
  return new SupervisedLoop({
    name: 'polling',
    log,
    ...(ctx.loops ? { health: ctx.loops } : {}),
    signal,
    idleMs: 0, // never idle: each tick waits in the long poll itself
    backoff: BACKOFF,
    tick: async ({ signal, keepAlive }) => {
      const stored = await ctx.kv.get(OFFSET_KEY)
      const offset = stored === null ? undefined : Number(stored)
      let updates: Update[]
      try {
        // The poll lasts up to 30 s (45 s with a stalled network, the client timeout): the loop
        // is alive all the while, only waiting.
        updates = await keepAlive(
          api.getUpdates(
            { offset, timeout: POLL_TIMEOUT_S, allowed_updates: ALLOWED_UPDATES },
            g(signal),
          ),
        )
      } catch (err) {
        if (signal.aborted) return 'done'
        const fixed = await pollFailure(err, api, setState, log, signal)
        return fixed === null ? 'backoff' : { waitMs: withJitter(fixed) }
      }
      if (!healthy) setState({ state: 'connected' })
      for (const update of updates) {
        try {
          await deps.handleUpdate(update, signal)
        } catch (err) {
          if (signal.aborted) return 'done'
          setState({
            state: 'error',
            detail: `an inbound message could not be stored (${errText(err)}); retrying`,
          })
          // Not stored: the offset stays, so the same update comes back after the pause. The
          // loop logs this error; errText keeps the token (in file URLs) out of it.
          throw new Error(`inbound update ${update.update_id} failed: ${errText(err)}`)
        }
        await ctx.kv.set(OFFSET_KEY, String(update.update_id + 1))
      }
      return 'busy'
    },
  })
}

/**
 * Report a failed getUpdates and say how long to wait: a fixed pause for the failures that name
 * their own (auth, conflict, 429), or null for the exponential backoff of network/5xx failures.
 */
async function pollFailure(
  err: unknown,
  api: Api,
  setState: (s: ChannelState) => void,
  log: Logger,
  signal: AbortSignal,
): Promise<number | null> {
  if (isAuthError(err)) {
    setState({
      state: 'error',
      detail: `the bot token was rejected (${err.error_code} ${err.description})`,
    })
    return AUTH_RETRY_MS
  }
  if (err instanceof GrammyError && err.error_code === 409) {
    if (/webhook is active/i.test(err.description)) {
      // Left over from webhook mode: polling was asked for, so the webhook goes.
      log.info('telegram: removing the webhook left from webhook mode to start polling')
      await api.deleteWebhook({ drop_pending_updates: false }, g(signal)).catch(() => undefined)
      return 0
    }
    setState({
      state: 'error',
      detail:
        'another program is polling this bot (409 Conflict): stop the other instance, or use ' +
        'mode: webhook — only one poller per bot token is possible',
    })
    return CONFLICT_RETRY_MS
  }
  if (err instanceof GrammyError && err.error_code === 429) {
    return (err.parameters.retry_after ?? 1) * 1000
  }
  log.warn({ reason: errText(err) }, 'telegram: getUpdates failed, retrying')
  setState({
    state: 'disconnected',
    detail: `cannot reach the Telegram Bot API (${errText(err)}); retrying`,
  })
  return null
}

function withJitter(ms: number): number {
  return ms === 0 ? 0 : Math.round(ms * (0.8 + Math.random() * 0.4))
}
