/**
 * Fixture builders for the rules tests: a channel of any type with its real limits and the type
 * defaults of DESIGN §4, a contact, an identity, a thread and a send, each overridable.
 */
import { CHANNEL_CAPABILITIES } from '../connectors/capabilities.js'
import { CHANNEL_LIMITS } from '../connectors/limits.js'
import type {
  ChannelInfo,
  ChannelRules,
  ChannelType,
  ContactFacts,
  EvaluateInput,
  IdentityFacts,
  SendContent,
  ThreadFacts,
} from './types.js'

export const HOUR = 3_600_000
export const NOW = new Date('2025-06-01T12:00:00.000Z')

/** An ISO time `ms` before NOW. */
export function ago(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString()
}

const TYPE_RULES: Partial<Record<ChannelType, Partial<ChannelRules>>> = {
  telegram: { contact_first: true },
  webpush: { contact_first: true },
  webchat: { contact_first: true },
  whatsapp: { window: { duration_ms: 24 * HOUR, after: 'templates_only' } },
  'whatsapp-cloud': { window: { duration_ms: 24 * HOUR, after: 'templates_only' } },
  email: { allow_with_open_thread: true },
}

const ADDRESS_KIND: Record<ChannelType, ChannelInfo['addressKind']> = {
  telegram: 'telegram',
  whatsapp: 'phone',
  'whatsapp-cloud': 'phone',
  line: 'line',
  email: 'email',
  webpush: 'push',
  webhook: 'any',
  webchat: 'any',
}

export function channel(
  type: ChannelType,
  over: Omit<Partial<ChannelInfo>, 'rules'> & { rules?: Partial<ChannelRules> } = {},
): ChannelInfo {
  const rules: ChannelRules = {
    single_open_thread: true,
    allow_with_open_thread: false,
    mandatory_tags: false,
    closing: { unassign: true },
    contact_first: false,
    window: null,
    rate: { per_second: 30, per_recipient_per_second: 1 },
    max_unreplied_per_day: null,
    opt_out: null,
    ...TYPE_RULES[type],
    ...over.rules,
  }
  return {
    name: type === 'whatsapp' ? 'wa' : type,
    type,
    enabled: true,
    addressKind: ADDRESS_KIND[type],
    limits: { ...CHANNEL_LIMITS[type] },
    capabilities: CHANNEL_CAPABILITIES[type],
    senders: type === 'email' ? ['support@example.com', 'billing@example.com'] : [],
    defaultSubject: null,
    ...over,
    rules,
  }
}

export function contact(over: Partial<ContactFacts> = {}): ContactFacts {
  return {
    id: 'ct_1',
    first_name: 'Ana',
    last_name: 'Lima',
    email: 'ana@example.com',
    phone: '+442079460958',
    external_id: null,
    attributes: {},
    blocked: false,
    ...over,
  }
}

/** An identity that wrote `lastAgo` ms before NOW (first wrote a week ago). */
export function identity(address: string, over: Partial<IdentityFacts> = {}): IdentityFacts {
  return {
    address,
    first_inbound_at: ago(7 * 24 * HOUR),
    last_inbound_at: ago(HOUR),
    reachable: true,
    ...over,
  }
}

export function thread(
  id: string,
  channelName: string,
  over: Partial<ThreadFacts> = {},
): ThreadFacts {
  return { id, channel: channelName, status: 'open', assignee: null, tags: [], ...over }
}

export function content(over: Partial<SendContent> = {}): SendContent {
  return {
    text: 'Hello {{first_name}}',
    attachments: [],
    template: null,
    variables: {},
    email: null,
    tags: [],
    ...over,
  }
}

const TEMPLATES: EvaluateInput['templates'] = {
  refund_update: {
    title: 'Refund update',
    text: 'Hi {{first_name|there}}, your refund is {{status}}.',
    signature: '— Example Support',
  },
  hello: { title: null, text: 'Hello {{first_name|there}}', signature: null },
}

/** A send on `ch` with sensible facts; everything overridable. */
export function input(ch: ChannelInfo | null, over: Partial<EvaluateInput> = {}): EvaluateInput {
  return {
    channel: ch,
    channelName: ch?.name ?? 'nope',
    contact: contact(),
    identity: null,
    openThreads: [],
    targetThread: null,
    content: content(),
    templates: TEMPLATES,
    now: NOW,
    ...over,
  }
}
