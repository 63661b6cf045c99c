/**
 * Payload assembly: an outbox job's stored message, its contact and its thread's earlier email ids
 * become the `OutboundPayload` a connector sends (less the `signal`, which the send adds). A
 * message whose row cannot be read is reported as `corrupt` (what could not be read), never sent
 * half-read; a message that is gone answers null.
 */
import type { OutboundPayload } from '../../connectors/types.js'
import {
  CorruptRecord,
  type ContactName,
  type MessageError,
  type MessageRecord,
} from '../../store/types.js'
import type { OutboxJob } from '../../store/types.js'
import { recheckHeld } from '../schedule/recheck.js'
import type { Services } from '../services.js'

/** A job's payload, ready for `connector.send()` once a signal is added. */
export type JobPayload = Omit<OutboundPayload, 'signal'>

/**
 * The job's message as stored: the one its lease read with it (`OutboxJob.message`),
 * or read now. It is carried to the job's outcome, so the status event needs no second read.
 */
export async function jobMessage(svc: Services, job: OutboxJob): Promise<MessageRecord | null> {
  return job.message !== undefined ? job.message : svc.store.messages.get(job.messageId)
}

/**
 * The payload of `job`'s message `m` (`jobMessage`); `{ corrupt }` names what cannot be read;
 * `{ refused }` is a held (scheduled) message the rules refuse now, `{ deferUntil }` one whose
 * send window is closed now (schedule/recheck.ts); null: it is gone.
 */
export async function buildPayload(
  svc: Services,
  job: OutboxJob,
  m: MessageRecord | null,
): Promise<
  JobPayload | { corrupt: string } | { refused: MessageError } | { deferUntil: number } | null
> {
  const { store, links } = svc
  if (!m) return null
  if (m.unreadable) return { corrupt: m.unreadable.join(', ') }
  if (m.send_at) {
    const held = await recheckHeld(svc, m)
    if (held.kind === 'refused') return { refused: held.error }
    if (held.kind === 'defer') return { deferUntil: held.until }
  }
  // The name as the lease read it, else read now.
  let contact: ContactName | null
  try {
    contact = job.contact !== undefined ? job.contact : await store.contacts.get(m.contact_id)
  } catch (err) {
    if (err instanceof CorruptRecord) return { corrupt: `${err.table}.${err.column}` }
    throw err
  }
  let email: OutboundPayload['email'] = null
  if (m.email) {
    const ids = (await store.messages.emailIds(m.thread_id)).filter(
      (id) => id !== m.platform_message_id,
    )
    email = {
      from: m.email.from,
      subject: m.email.subject ?? '',
      bcc: m.email.bcc,
      inReplyTo: ids.at(-1) ?? null,
      references: ids,
      listUnsubscribe: svc.unsubscribe.url(m.contact_id, m.channel),
    }
  }
  const now = Date.now()
  return {
    messageId: m.id,
    channel: m.channel,
    threadId: m.thread_id,
    to: m.address,
    contact: {
      id: m.contact_id,
      firstName: contact?.first_name ?? null,
      lastName: contact?.last_name ?? null,
    },
    text: m.text,
    template: m.template,
    attachments: m.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      contentType: a.content_type,
      size: a.size,
      sha256: a.sha256,
      url: links.url(a.id, now),
      read: () => store.blobs.read(a.sha256),
    })),
    email,
    createdAt: m.created_at,
    attempt: job.attempts + 1,
  }
}
