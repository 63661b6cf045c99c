/**
 * Row → record mapping: JSON columns parsed, 0/1 to booleans, the status history assembled from
 * the per-status timestamp columns.
 */
import type {
  AttachmentRecord,
  AuthorKind,
  ContactRecord,
  IdentityRecord,
  MessageRecord,
  MessageStatus,
  ThreadEventRecord,
  ThreadEventType,
  ThreadRecord,
  ThreadStatus,
} from '../types.js'
import type {
  AttachmentsTable,
  ContactRow,
  IdentitiesTable,
  MessageRow,
  ThreadEventRow,
  ThreadRow,
} from './schema.js'

export function toContact(r: ContactRow): ContactRecord {
  return {
    id: r.id,
    first_name: r.first_name,
    last_name: r.last_name,
    email: r.email,
    phone: r.phone,
    external_id: r.external_id,
    attributes: parseObject(r.attributes),
    blocked: r.blocked === 1,
    created_at: r.created_at,
    updated_at: r.updated_at,
    last_activity_at: r.last_activity_at,
  }
}

export function toIdentity(r: IdentitiesTable): IdentityRecord {
  return { ...r, reachable: r.reachable === 1 }
}

export function toThread(r: ThreadRow, tags: string[]): ThreadRecord {
  return {
    id: r.id,
    contact_id: r.contact_id,
    channel: r.channel,
    status: r.status as ThreadStatus,
    assignee: r.assignee,
    tags,
    snoozed_until: r.snoozed_until,
    created_at: r.created_at,
    updated_at: r.updated_at,
    closed_at: r.closed_at,
  }
}

export function toEvent(r: ThreadEventRow): ThreadEventRecord {
  return {
    id: r.id,
    thread_id: r.thread_id,
    contact_id: r.contact_id,
    type: r.type as ThreadEventType,
    actor: r.actor,
    data: parseObject(r.data),
    at: r.at,
  }
}

export function toAttachment(r: AttachmentsTable): AttachmentRecord {
  return { ...r }
}

/** Statuses in the order they are reached; a history lists them by time, then by this order. */
export const STATUS_ORDER: readonly MessageStatus[] = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'failed',
  'cancelled',
]

export function toMessage(r: MessageRow, attachments: AttachmentRecord[]): MessageRecord {
  return {
    id: r.id,
    thread_id: r.thread_id,
    contact_id: r.contact_id,
    channel: r.channel,
    direction: r.direction as 'in' | 'out',
    author: { kind: r.author_kind as AuthorKind, id: r.author_id },
    address: r.address,
    text: r.text,
    template: r.template === null ? null : (JSON.parse(r.template) as MessageRecord['template']),
    attachments,
    email: r.email === null ? null : (JSON.parse(r.email) as MessageRecord['email']),
    status: r.status as MessageStatus,
    error: r.error_code === null ? null : { code: r.error_code, message: r.error_message ?? '' },
    platform_message_id: r.platform_message_id,
    bulk_id: r.bulk_id,
    attempts: r.attempts,
    possible_duplicate: r.possible_duplicate === 1,
    undelivered_after: r.undelivered_after,
    created_at: r.created_at,
    status_history: statusHistory(r),
  }
}

function statusHistory(r: MessageRow): MessageRecord['status_history'] {
  const history: MessageRecord['status_history'] = []
  for (const status of STATUS_ORDER) {
    const at = r[`${status}_at`]
    if (at !== null) history.push({ status, at })
  }
  // Stable sort: equal times keep the status order.
  return history.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
}

function parseObject(text: string): Record<string, unknown> {
  const v: unknown = JSON.parse(text)
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {}
}
