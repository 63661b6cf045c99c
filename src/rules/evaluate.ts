/**
 * The policy decision for one send (DESIGN §5): data in, decision out. Checks run in the
 * documented order and the first failure is the answer, naming the config path that decided it.
 */
import { channelAddressKind, resolveAddress } from './address-check.js'
import { checkContact } from './contact-check.js'
import { checkContent } from './content-check.js'
import { refusal, type Refusal } from './refusal.js'
import { checkTags } from './tag-check.js'
import { checkThreads } from './thread-check.js'
import type { ChannelInfo, Decision, EvaluateInput, MessageKind } from './types.js'
import { windowRefusal, windowState, type WindowState } from './window.js'

/**
 * Decides whether a send may go out, and if so to which address, with what rendered content and
 * into which thread. Pure: the clock is `input.now`. `allowed_kinds` says what would pass right now
 * whatever the content (empty when the contact cannot be messaged at all), for eligibility checks.
 */
export function evaluate(input: EvaluateInput): Decision {
  const { channel, contact, identity, now } = input
  if (channel === null) {
    return refused(
      refusal(
        'channel_unknown',
        `Channel "${input.channelName}" is not configured: check the name, or add it under ` +
          'channels in the config.',
        `channels.${input.channelName}`,
      ),
    )
  }
  const rules = channel.rules
  if (!channel.enabled) {
    const why = channel.disabledReason ?? 'its settings are incomplete'
    return refused(
      refusal(
        'channel_disabled',
        `Channel "${channel.name}" is disabled: ${why}. Fix its settings and reload the config.`,
        `channels.${channel.name}`,
        { reason: channel.disabledReason ?? null },
      ),
    )
  }

  const kind = channelAddressKind(channel)
  const addr = resolveAddress(channel, kind, contact, identity)
  if (!addr.ok) return refused(addr.refusal)
  const address = addr.address

  const early = checkContact(channel, contact, identity)
  if (early !== null) return refused(early, { address })

  const win = windowState(rules.window, identity?.last_inbound_at ?? null, now)
  const kinds = allowedKinds(channel, win, Object.keys(input.templates).length > 0)
  const state: DecisionState = {
    address,
    allowed_kinds: kinds,
    ...(win.expiresAt === undefined ? {} : { window_expires_at: win.expiresAt }),
  }
  if (rules.window !== null && win.state === 'closed') {
    const closed = windowRefusal(channel, rules.window.after, win, input.content)
    if (closed !== null) return refused(closed, state)
  }
  const cap = rules.max_unreplied_per_day
  const sent = input.unrepliedToday ?? 0
  if (cap !== null && (identity?.first_inbound_at ?? null) === null && sent >= cap) {
    return refused(
      refusal(
        'unreplied_cap',
        `Channel "${channel.name}" already sent today's ${cap} first messages to people who have ` +
          'not answered: try again tomorrow, or wait for this contact to write.',
        `channels.${channel.name}.rules.max_unreplied_per_day`,
        { cap, sent },
      ),
      { ...state, allowed_kinds: [] },
    )
  }

  const thread = checkThreads(channel, input.openThreads, input.targetThread)
  if (!thread.ok) return refused(thread.refusal, { ...state, allowed_kinds: [] })

  const tags = checkTags(channel, thread.tags, input.content.tags)
  if (tags !== null) return refused(tags, state)

  const content = checkContent(channel, kind === 'email', contact, input.content, input.templates)
  if (!content.ok) return refused(content.refusal, state)

  return {
    allowed: true,
    message: `The message may be sent on channel "${channel.name}".`,
    ...state,
    rendered: content.rendered,
    reuseThreadId: thread.reuseThreadId,
  }
}

/** What a decision knows once past step 2: the address, the window's end, the allowed kinds. */
type DecisionState = Pick<Decision, 'address' | 'window_expires_at' | 'allowed_kinds'>

function refused(r: Refusal, state: Partial<DecisionState> = {}): Decision {
  return { allowed: false, ...r, ...state, allowed_kinds: state.allowed_kinds ?? [] }
}

/** What could pass right now whatever the content: the window and the channel's limits decide. */
function allowedKinds(
  channel: ChannelInfo,
  win: WindowState,
  hasTemplates: boolean,
): MessageKind[] {
  const template: MessageKind[] = hasTemplates ? ['template'] : []
  if (win.state === 'closed') {
    return channel.rules.window?.after === 'templates_only' ? template : []
  }
  const kinds: MessageKind[] = ['text']
  if (channel.limits.attachmentsMax > 0) kinds.push('attachments')
  return [...kinds, ...template]
}
