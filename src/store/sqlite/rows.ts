/**
 * Row → record mapping: JSON columns parsed, 0/1 to booleans, the status history assembled from
 * the per-status timestamp columns.
 */
import { CorruptRecord } from '../types.js'
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
    attributes: parseObject(r.attributes, 'contacts', r.id, 'attributes'),
    blocked: r.blocked === 1,
    timezone: r.timezone ?? null,
    merged_into: r.merged_into ?? null,
    created_at: r.created_at,
    updated_at: r.updated_at,
    last_activity_at: r.last_activity_at,
    version: r.version,
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
    data: parseObject(r.data, 'thread_events', r.id, 'data'),
    at: r.at,
  }
}

export function toAttachment(r: AttachmentsTable): AttachmentRecord {
  return { ...r }
}

/** Statuses in the order they are reached; a history lists them by time, then by this order. */
const STATUS_ORDER: readonly MessageStatus[] = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'failed',
  'cancelled',
]

/**
 * A damaged JSON column (`template`, `email`) reads as null and is named in `unreadable`, so one
 * bad row neither hides its thread nor stops the dispatcher: it fails with `corrupt_record`.
 */
export function toMessage(r: MessageRow, attachments: AttachmentRecord[]): MessageRecord {
  const unreadable: string[] = []
  const column = <T>(name: string, text: string | null, ok: (v: object) => boolean): T | null => {
    if (text === null) return null
    const v = tryParse(text)
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && ok(v)) return v as T
    unreadable.push(name)
    return null
  }
  const record: MessageRecord = {
    id: r.id,
    thread_id: r.thread_id,
    contact_id: r.contact_id,
    channel: r.channel,
    direction: r.direction as 'in' | 'out',
    author: { kind: r.author_kind as AuthorKind, id: r.author_id },
    address: r.address,
    text: r.text,
    template: column<MessageRecord['template']>(
      'template',
      r.template,
      (v) => typeof (v as { name?: unknown }).name === 'string',
    ),
    attachments,
    email: column<MessageRecord['email']>('email', r.email, () => true),
    status: r.status as MessageStatus,
    error: r.error_code === null ? null : { code: r.error_code, message: r.error_message ?? '' },
    platform_message_id: r.platform_message_id,
    bulk_id: r.bulk_id,
    attempts: r.attempts,
    possible_duplicate: r.possible_duplicate === 1,
    undelivered_after: r.undelivered_after,
    send_at: r.send_at ?? null,
    created_at: r.created_at,
    status_history: statusHistory(r),
  }
  if (unreadable.length > 0) record.unreadable = unreadable
  return record
}

function statusHistory(r: MessageRow): MessageRecord['status_history'] {
  const history: MessageRecord['status_history'] = []
  for (const status of STATUS_ORDER) {
    const at = r[`${status}_at`]
    if (at !== null) history.push({ status, at })
  }
  // Stable sort: equal times keep the status order.
  history.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
  return [...earlierHistory(r.earlier_history ?? null), ...history]
}

/** The tries before an operator retry (migration 8); an unreadable value reads as none. */
function earlierHistory(text: string | null): MessageRecord['status_history'] {
  if (text === null) return []
  const v = tryParse(text)
  if (!Array.isArray(v)) return []
  return v.filter(
    (h): h is { status: MessageStatus; at: string } =>
      typeof h === 'object' &&
      h !== null &&
      STATUS_ORDER.includes((h as { status: MessageStatus }).status) &&
      typeof (h as { at: unknown }).at === 'string',
  )
}

function parseObject(
  text: string,
  table: string,
  id: string,
  column: string,
): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (err) {
    throw new CorruptRecord(table, id, column, err)
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {}
}

/** The parsed JSON, or undefined when `text` is not JSON. */
export function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
