/**
 * How records look in the API. Kept apart from the store records so an internal column never leaks
 * by accident and the JSON stays stable when the schema changes. Each view returns the type of its
 * response schema (`http/responses/`), so a field added here without the schema does not compile.
 */
import type { z } from 'zod'
import type { contact, identity, message, thread, threadEvent } from './http/responses/index.js'
import type {
  ContactRecord,
  IdentityRecord,
  MessageRecord,
  ThreadEventRecord,
  ThreadRecord,
} from '../store/types.js'

export function contactView(
  c: ContactRecord,
  identities: IdentityRecord[],
): z.output<typeof contact> {
  return {
    id: c.id,
    first_name: c.first_name,
    last_name: c.last_name,
    email: c.email,
    phone: c.phone,
    external_id: c.external_id,
    attributes: c.attributes,
    blocked: c.blocked,
    timezone: c.timezone ?? null,
    identities: identities.map(identityView),
    created_at: c.created_at,
    updated_at: c.updated_at,
    last_activity_at: c.last_activity_at,
  }
}

function identityView(i: IdentityRecord): z.output<typeof identity> {
  return {
    channel: i.channel,
    address: i.address,
    first_inbound_at: i.first_inbound_at,
    last_inbound_at: i.last_inbound_at,
    reachable: i.reachable,
  }
}

export function threadView(t: ThreadRecord): z.output<typeof thread> {
  return { ...t }
}

export function messageView(m: MessageRecord): z.output<typeof message> {
  return {
    id: m.id,
    thread_id: m.thread_id,
    contact_id: m.contact_id,
    channel: m.channel,
    direction: m.direction,
    author: m.author,
    address: m.address,
    text: m.text,
    template: m.template,
    attachments: m.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      content_type: a.content_type,
      size: a.size,
    })),
    email: m.email,
    status: m.status,
    error: m.error,
    platform_message_id: m.platform_message_id,
    bulk_id: m.bulk_id,
    attempts: m.attempts,
    possible_duplicate: m.possible_duplicate,
    undelivered_after: m.undelivered_after,
    send_at: m.send_at ?? null,
    created_at: m.created_at,
    status_history: m.status_history,
    // Only on a damaged row: the columns shown as null because they could not be read.
    ...(m.unreadable ? { unreadable: m.unreadable } : {}),
  }
}

export function eventView(e: ThreadEventRecord): z.output<typeof threadEvent> {
  return { ...e }
}
