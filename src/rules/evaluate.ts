/**
 * The policy decision for one send (DESIGN §5): data in, decision out. Checks run in the
 * documented order and the first failure is the answer, naming the config path that decided it.
 * `evaluate()` decides a send; `evaluateRecipient()` runs the same checks without content, for
 * eligibility ("may I message this contact on this channel, and what?").
 */
import { channelAddressKind, resolveAddress } from './address-check.js'
import { checkContact } from './contact-check.js'
import { checkContent } from './content-check.js'
import { refusal, type Refusal } from './refusal.js'
import { checkTags } from './tag-check.js'
import { checkThreads } from './thread-check.js'
import type {
  ChannelInfo,
  Decision,
  EvaluateInput,
  MessageKind,
  RefusalCode,
  SendContent,
} from './types.js'
import { checkUnrepliedCap } from './unreplied-cap.js'
import { windowRefusal, windowState, type WindowState } from './window.js'

/** The facts of a send without its content: who, on which channel, in what state, and when. */
export type RecipientInput = Omit<EvaluateInput, 'content'>

/**
 * A decision without content. `allowed` means no content-independent check refused; `pending`
 * is then the first refusal that only the content can lift (a template after the window,
 * `template_required`; a tag, `tags_required`), if any.
 */
export type RecipientDecision = Decision & { pending?: Refusal }

/** Refusals a send's content can lift: eligibility answers them with `can_send: true`. */
const CONTENT_LIFTS: ReadonlySet<RefusalCode> = new Set(['template_required', 'tags_required'])

/**
 * Decides whether a send may go out, and if so to which address, with what rendered content and
 * into which thread. Pure: the clock is `input.now`. `allowed_kinds` says what would pass right now
 * whatever the content (empty when the contact cannot be messaged at all), for eligibility checks.
 */
export function evaluate(input: EvaluateInput): Decision {
  return decide(input, input.content)
}

/**
 * Steps 1–7 of a send to this recipient, before any content: the same checks in the same order
 * as `evaluate()`, except that a refusal the content could lift is kept in `pending` and the
 * checks go on, so a harder refusal later (the daily cap, a thread conflict) still answers.
 */
export function evaluateRecipient(input: RecipientInput): RecipientDecision {
  return decide(input, null)
}

function decide(input: RecipientInput, content: SendContent | null): RecipientDecision {
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

  const early = checkContact(channel, contact, identity, input.optedOut === true)
  if (early !== null) return refused(early, { address })

  const win = windowState(rules.window, identity?.last_inbound_at ?? null, now)
  const kinds = allowedKinds(channel, win, Object.keys(input.templates).length > 0)
  const state: DecisionState = {
    address,
    allowed_kinds: kinds,
    ...(win.expiresAt === undefined ? {} : { window_expires_at: win.expiresAt }),
  }
  let pending: Refusal | undefined
  /** A refusal ends a send; without content, one the content could lift waits in `pending`. */
  const ends = (r: Refusal | null): boolean => {
    if (r === null) return false
    if (content !== null || !CONTENT_LIFTS.has(r.code)) return true
    pending ??= r
    return false
  }

  if (rules.window !== null && win.state === 'closed') {
    const closed = windowRefusal(channel, rules.window.after, win, content)
    if (closed !== null && ends(closed)) return refused(closed, state)
  }
  const capped = checkUnrepliedCap(channel, identity, input.unrepliedToday ?? 0)
  if (capped !== null) return refused(capped, { ...state, allowed_kinds: [] })

  const thread = checkThreads(channel, input.openThreads, input.targetThread)
  if (!thread.ok) return refused(thread.refusal, { ...state, allowed_kinds: [] })

  const tags = checkTags(channel, thread.tags, content?.tags ?? [])
  if (tags !== null && ends(tags)) return refused(tags, state)

  const allowed = {
    allowed: true,
    message: `The message may be sent on channel "${channel.name}".`,
    ...state,
    reuseThreadId: thread.reuseThreadId,
  }
  if (content === null) return pending === undefined ? allowed : { ...allowed, pending }

  const checked = checkContent(channel, kind === 'email', contact, content, input.templates)
  if (!checked.ok) return refused(checked.refusal, state)
  return { ...allowed, rendered: checked.rendered }
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
