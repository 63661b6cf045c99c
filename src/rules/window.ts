/**
 * The customer-service window (DESIGN §1.3): open while `last_inbound_at + duration > now`.
 */
import { refusal, type Refusal } from './refusal.js'
import type { ChannelInfo, ChannelRules, SendContent } from './types.js'

export interface WindowState {
  /** `none`: the channel has no window. `closed` includes "the contact never wrote". */
  state: 'none' | 'open' | 'closed'
  /** When the window ends or ended; null if the contact never wrote; undefined without a window. */
  expiresAt: string | null | undefined
}

/**
 * Where the window stands at `now`. Exactly at expiry it is closed: the platform counts the
 * duration from the customer's message and refuses at the boundary.
 */
export function windowState(
  window: ChannelRules['window'],
  lastInboundAt: string | null,
  now: Date,
): WindowState {
  if (window === null) return { state: 'none', expiresAt: undefined }
  const last = lastInboundAt === null ? Number.NaN : Date.parse(lastInboundAt)
  if (Number.isNaN(last)) return { state: 'closed', expiresAt: null }
  const end = last + window.duration_ms
  return { state: end > now.getTime() ? 'open' : 'closed', expiresAt: new Date(end).toISOString() }
}

/**
 * Step 5 when the window is closed: only a template (and nothing else) passes `templates_only`.
 * Without content (eligibility: what may be sent, not this send) `templates_only` answers
 * `template_required`, a limit on the kinds rather than a refusal of the channel.
 */
export function windowRefusal(
  channel: ChannelInfo,
  after: 'templates_only' | 'deny',
  win: WindowState,
  content: SendContent | null,
): Refusal | null {
  const since =
    win.expiresAt === null || win.expiresAt === undefined
      ? 'the contact has never written on it'
      : `its window closed at ${win.expiresAt}`
  const details = { window_expires_at: win.expiresAt ?? null }
  const rule = `channels.${channel.name}.rules.window`
  if (after === 'deny') {
    return refusal(
      'window_closed',
      `Channel "${channel.name}" can't send now (${since}): wait for the contact to write again.`,
      rule,
      details,
    )
  }
  if (content !== null && content.template !== null && content.attachments.length === 0) return null
  return refusal(
    'template_required',
    `Channel "${channel.name}" accepts only a template message now (${since}): send a template, ` +
      'without attachments, or wait for the contact to write again.',
    rule,
    details,
  )
}
