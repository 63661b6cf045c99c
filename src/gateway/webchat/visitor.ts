/**
 * Who is calling a widget endpoint (DESIGN §12): the web chat channel the path names, the visitor
 * its token proves, and the visitor's own request budget. Every check answers with a catalog code
 * a widget can act on: `webchat_token_expired` → ask the site for a new session, anything else →
 * stop.
 */
import type { Context } from 'hono'
import { verifyToken, type WebchatToken } from '../../connectors/webchat/token.js'
import { channelOfType, type ChannelOfType } from '../channels/channel-of-type.js'
import { TokenBucket } from '../dispatcher/rate-limiter.js'
import { apiError } from '../errors.js'
import type { Services } from '../services.js'

export type WebchatChannel = ChannelOfType<'webchat'>

/** The enabled web chat channel `name` (404 when it is none, 422 when disabled). */
export function webchatChannel(svc: Services, name: string): WebchatChannel {
  return channelOfType(svc, name, 'webchat')
}

/** A checked visitor: the channel and what the token carries. */
export interface Visitor {
  channel: WebchatChannel
  name: string
  contactId: string
  externalId: string
}

/** The token from `?token=` (GETs: EventSource cannot set headers) or `Authorization: Bearer`. */
export function presentedToken(c: Context): string | null {
  const header = c.req.header('authorization')
  if (header) return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null
  return c.req.query('token') ?? null
}

/** Checks the token for channel `name`: 401 `webchat_token_invalid` / `webchat_token_expired`. */
export function visitorOf(svc: Services, name: string, token: string | null): Visitor {
  const channel = webchatChannel(svc, name)
  if (!token)
    throw apiError(
      'webchat_token_invalid',
      'no session token: POST …/webchat/session first, then send it as ?token= or Authorization: Bearer',
    )
  const r = verifyToken(channel.settings.secret, name, token, svc.now().getTime())
  if (!r.ok)
    throw r.reason === 'expired'
      ? apiError('webchat_token_expired', 'the session token expired: open a new session')
      : apiError('webchat_token_invalid', 'the session token is not one this channel signed')
  return { channel, name, contactId: r.token.contactId, externalId: r.token.externalId }
}

export type { WebchatToken }

/**
 * A visitor's requests per second, and the burst a reconnecting widget may spend at once (a
 * session, history, a few retried messages). A person types far slower; a script does not.
 */
const VISITOR_PER_SECOND = 2
const VISITOR_BURST = 20

const budgets = new WeakMap<Services, TokenBucket>()

/** 429 `rate_limited` with Retry-After when this visitor (channel + id) sends too fast. */
export function spendVisitorBudget(svc: Services, channel: string, who: string): void {
  let bucket = budgets.get(svc)
  if (!bucket) {
    bucket = new TokenBucket(VISITOR_PER_SECOND, VISITOR_BURST)
    budgets.set(svc, bucket)
  }
  const wait = bucket.take(`${channel}\u0000${who}`)
  if (wait <= 0) return
  const seconds = Math.max(1, Math.ceil(wait / 1000))
  throw apiError(
    'rate_limited',
    `too many requests from this visitor; retry in ${seconds} s`,
    { retry_after_s: seconds },
    { 'retry-after': String(seconds) },
  )
}
