/** The shapes of the v1 API answers the console reads (a subset of the OpenAPI document). */

export interface Identity {
  channel: string
  address: string
  reachable?: boolean
  last_inbound_at?: string | null
}

export interface Contact {
  id: string
  first_name: string | null
  last_name: string | null
  email: string | null
  phone: string | null
  external_id: string | null
  attributes: Record<string, unknown>
  blocked: boolean
  identities: Identity[]
  last_activity_at: string
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface Channel {
  name: string
  type: string
  state: string
  detail: string | null
  rules: { mandatory_tags: boolean | string[] }
}

export interface ChannelEligibility {
  channel: string
  type: string
  address: string
  can_send: boolean
  allowed_kinds: string[]
  code: string | null
  reason: string | null
  window_expires_at: string | null
  thread_id: string | null
}

export interface Thread {
  id: string
  contact_id: string
  channel: string
  status: 'open' | 'snoozed' | 'closed'
  assignee: string | null
  tags: string[]
  snoozed_until: string | null
  updated_at: string
}

export interface Message {
  id: string
  thread_id: string
  channel: string
  direction: 'in' | 'out'
  author: { kind: string; id: string | null }
  text: string | null
  template: { name: string } | null
  attachments: { id: string; filename: string; size: number }[]
  email: { from: string; subject: string | null; bcc: string[] } | null
  status: string
  error: { code: string; message: string } | null
  created_at: string
}

export interface ThreadEvent {
  id: string
  thread_id: string
  type: string
  actor: string
  data: Record<string, unknown>
  at: string
}

export type TimelineItem =
  | { kind: 'message'; at: string; direction: 'in' | 'out'; message: Message }
  | { kind: 'event'; at: string; event: ThreadEvent }

export interface Decision {
  allowed: boolean
  message: string
  rendered: {
    text: string | null
    template: { name: string } | null
    email: { from: string; subject: string; bcc: string[] } | null
  } | null
}

export interface Bulk {
  id: string
  status: 'running' | 'done' | 'cancelled' | 'failed'
  total: number
  checked: number
  eligible: number
  skipped: Record<string, number>
  counts: Record<
    'queued' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed' | 'cancelled',
    number
  >
}

export interface BulkDryRun {
  total: number
  eligible: number
  skipped: Record<string, number>
}

/** What the people search asks for; the bulk panel sends the same filter. */
export interface SearchFilter {
  q: string
  mine: boolean
  status: 'open' | 'snoozed' | 'closed' | null
  channel: string
  tag: string
}

/** One event of `GET /v1/stream`. */
export interface LiveEvent {
  id: string
  type: string
  created_at: string
  data: Record<string, unknown>
}

/** A contact's display name: its names, else email or phone, else its id. */
export function displayName(
  c: Pick<Contact, 'id' | 'first_name' | 'last_name' | 'email' | 'phone'>,
): string {
  const name = [c.first_name, c.last_name].filter(Boolean).join(' ')
  return name || c.email || c.phone || c.id
}
