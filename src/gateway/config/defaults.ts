/**
 * Rule defaults per channel type, the bottom layer of `type defaults < defaults.rules <
 * channels.<name>.rules`. Rates are what each platform tolerates; the dispatcher keeps them.
 */
import type { ChannelType } from '../../connectors/types.js'
import type { ChannelRules } from '../../rules/types.js'

/** What every channel starts from before its type's defaults. */
export const BASE_RULES: Omit<ChannelRules, 'rate'> = {
  single_open_thread: true,
  allow_with_open_thread: false,
  mandatory_tags: false,
  closing: { unassign: true },
  contact_first: false,
  window: null,
  max_unreplied_per_day: null,
  opt_out: null,
}

/**
 * Opt-out keywords (DESIGN §15): the set US carriers and SMS providers honour for text messaging
 * (CTIA), which people also use on WhatsApp. Other languages are configuration.
 */
export const DEFAULT_OPT_OUT: NonNullable<ChannelRules['opt_out']> = Object.freeze({
  keywords: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'],
  resume: ['START', 'UNSTOP'],
  confirmation: 'You are unsubscribed and will get no more messages here. Reply START to resume.',
})

// WhatsApp's 24 h customer-service window: free-form messages only within 24 h of the last inbound.
const WHATSAPP_WINDOW = { duration_ms: 24 * 3_600_000, after: 'templates_only' as const }

/** Each type's layer over BASE_RULES; `rate` is always given. */
export const TYPE_RULES: Record<ChannelType, Partial<ChannelRules> & Pick<ChannelRules, 'rate'>> = {
  // Bot API: ~30 messages/s overall, ~1 message/s to one chat before 429s; bots can't write first.
  telegram: { contact_first: true, rate: { per_second: 30, per_recipient_per_second: 1 } },
  // LINE accepts up to 2000 push requests/s per channel; 100 stays far below that (and below the
  // lower limits of LINE's other endpoints) while still sending a 10 000-person bulk in ~2 minutes.
  line: { rate: { per_second: 100, per_recipient_per_second: 1 } },
  // WhatsApp Web is an unofficial client: a slow, human pace and a cap on first messages to people
  // who never answered are the conservative defence against the number being banned.
  whatsapp: {
    window: WHATSAPP_WINDOW,
    opt_out: DEFAULT_OPT_OUT,
    rate: { per_second: 0.5, per_recipient_per_second: 0.2 },
    max_unreplied_per_day: 50,
  },
  // Cloud API: 80 messages/s is the default throughput of a business phone number.
  'whatsapp-cloud': {
    window: WHATSAPP_WINDOW,
    opt_out: DEFAULT_OPT_OUT,
    rate: { per_second: 80, per_recipient_per_second: 1 },
  },
  // SMTP relays throttle bursts; 10/s stays under common provider limits. Email threads may
  // overlap (a reply on another subject is a new thread).
  email: { allow_with_open_thread: true, rate: { per_second: 10, per_recipient_per_second: 1 } },
  // Push services take high rates; a browser is only reachable after it subscribed (contact-first).
  webpush: { contact_first: true, rate: { per_second: 100, per_recipient_per_second: 1 } },
  // The app's own relay: fast by default, it applies its provider's limits itself.
  webhook: { rate: { per_second: 1000, per_recipient_per_second: 10 }, opt_out: DEFAULT_OPT_OUT },
  // Web chat: the visitor must have opened the widget once (DESIGN §12); our own streams, no
  // platform limit, a per-visitor pace that still lets an agent write a few lines in a row.
  webchat: { contact_first: true, rate: { per_second: 1000, per_recipient_per_second: 5 } },
}
