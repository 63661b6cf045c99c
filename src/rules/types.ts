/**
 * Types of the pure policy module (DESIGN §5). `rules/` imports nothing of ours but types.
 */
import type { ChannelLimits, ChannelType, TypeCapabilities } from '../connectors/types.js'
import type { SendWindow } from './send-window.js'

export type { ChannelLimits, ChannelType, TypeCapabilities }
export type { SendWindow } from './send-window.js'

/** Effective rules of one channel: type defaults < `defaults.rules` < the channel's own `rules`. */
export interface ChannelRules {
  single_open_thread: boolean
  allow_with_open_thread: boolean
  /** false: off; true: at least one tag, any; a list: at least one tag, each from the list. */
  mandatory_tags: boolean | string[]
  closing: { unassign: boolean }
  contact_first: boolean
  /** null: no window. */
  window: { duration_ms: number; after: 'templates_only' | 'deny' } | null
  rate: { per_second: number; per_recipient_per_second: number }
  /** WhatsApp Web pacing: first messages per day to people who never answered (null: no cap). */
  max_unreplied_per_day: number | null
  /**
   * Opt-out by keyword (DESIGN §15); null: off. Keywords are matched on the whole trimmed
   * inbound text, case-insensitively; stored upper-cased. `confirmation` null: none is sent.
   */
  opt_out: { keywords: string[]; resume: string[]; confirmation: string | null } | null
  /** Quiet hours (DESIGN §14): sends outside are deferred to the next opening; absent: none. */
  send_window?: SendWindow | null
}

export interface ChannelInfo {
  name: string
  type: ChannelType
  /** false when a `${VAR}` of its settings is missing; `disabledReason` names it. */
  enabled: boolean
  disabledReason?: string
  /** For webhook channels: how addresses are validated (`address: phone | email | any`). */
  addressKind: 'phone' | 'email' | 'any' | 'telegram' | 'line' | 'push'
  rules: ChannelRules
  limits: ChannelLimits
  /** What the channel type's platform can do (native templates …), as its connector declares it. */
  capabilities: TypeCapabilities
  /** Email: allowed sender mailboxes (first is the default); `default_subject`. */
  senders: string[]
  defaultSubject: string | null
}

export interface TemplateDef {
  title: string | null
  text: string
  signature: string | null
}

export interface ContactFacts {
  id: string | null // null for a brand-new contact created from `to`
  first_name: string | null
  last_name: string | null
  email: string | null
  phone: string | null
  external_id: string | null
  attributes: Record<string, unknown>
  blocked: boolean
}

export interface IdentityFacts {
  address: string
  first_inbound_at: string | null
  last_inbound_at: string | null
  reachable: boolean
}

export interface ThreadFacts {
  id: string
  channel: string
  status: 'open' | 'snoozed' | 'closed'
  assignee: string | null
  tags: string[]
}

export interface SendContent {
  text: string | null
  attachments: { filename: string; content_type: string; size: number }[]
  template: { name: string; variables: Record<string, string> } | null
  variables: Record<string, string>
  email: { from: string | null; subject: string | null; bcc: string[] } | null
  /** Tags this request adds to the thread. */
  tags: string[]
}

export interface EvaluateInput {
  /** null when the requested channel is not in the config. */
  channel: ChannelInfo | null
  /** The channel name the request asked for (for the `channel_unknown` message). */
  channelName: string
  contact: ContactFacts
  /** The contact's identity on this channel, if any. */
  identity: IdentityFacts | null
  /** Every open or snoozed thread of this contact, on any channel. */
  openThreads: ThreadFacts[]
  /** The thread this send goes into when the request names one (`thread_id`), any status. */
  targetThread: ThreadFacts | null
  content: SendContent
  templates: Record<string, TemplateDef>
  /** First messages already sent today to people who never answered (max_unreplied_per_day). */
  unrepliedToday?: number
  /** The contact opted out on this channel (DESIGN §15, check 3b); absent: they did not. */
  optedOut?: boolean
  now: Date
}

export type RefusalCode =
  | 'channel_unknown'
  | 'channel_disabled'
  | 'no_address'
  | 'address_invalid'
  | 'contact_blocked'
  | 'contact_unreachable'
  | 'opted_out'
  | 'contact_first'
  | 'template_required'
  | 'window_closed'
  | 'unreplied_cap'
  | 'thread_conflict'
  | 'tags_required'
  | 'tag_unknown'
  | 'empty_message'
  | 'text_too_long'
  | 'attachment_rejected'
  | 'template_unknown'
  | 'variable_missing'
  | 'sender_unknown'

export type MessageKind = 'text' | 'attachments' | 'template'

export interface Decision {
  allowed: boolean
  code?: RefusalCode
  message: string
  /** The config path that decided (`channels.wa.rules.window`). */
  rule?: string
  details?: Record<string, unknown>
  /** What may be sent right now on this channel (eligibility). */
  allowed_kinds: MessageKind[]
  window_expires_at?: string | null
  /** When allowed: the normalised address and the rendered content. */
  address?: string
  rendered?: {
    text: string | null
    template: { name: string; variables: Record<string, string> } | null
    email: { from: string; subject: string; bcc: string[] } | null
  }
  /** When allowed: the open/snoozed thread to reuse, or null to create one (or reopen `targetThread`). */
  reuseThreadId?: string | null
}
