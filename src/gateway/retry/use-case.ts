/**
 * Operator retry (DESIGN §15): `POST /v1/messages/{id}/retry` sends a `failed` message again under
 * the same id. The rules are asked again now, on today's facts (the person may have been blocked,
 * the window may have closed since): a refusal answers with the rule's code and changes nothing.
 * Allowed, the store re-queues the message with its attempts reset and a new outbox job, records
 * a `retried` thread event and keeps the earlier tries in its status history — in one transaction.
 */
import { evaluate } from '../../rules/index.js'
import type { SendContent } from '../../rules/types.js'
import type { MessageRecord, MessageStatus } from '../../store/types.js'
import { apiError, notFound, refusal, type ApiError } from '../errors.js'
import { statusEvent } from '../inbound.js'
import { liveEvent } from '../live/index.js'
import type { Services } from '../services.js'
import { loadRecipientFacts } from '../send/facts.js'

/** Re-queues the failed message `id` for `actor` (a key id); resolves the message as stored. */
export async function retryMessage(
  svc: Services,
  id: string,
  actor: string,
): Promise<MessageRecord> {
  const m = await svc.store.messages.get(id)
  if (!m) throw notFound('message', id)
  if (m.direction !== 'out' || m.status !== 'failed') throw notRetryable(m.id, m.status)
  const now = svc.now()
  const [contact, identity, thread] = await Promise.all([
    svc.store.contacts.get(m.contact_id),
    svc.store.identities.find(m.channel, m.address),
    svc.store.threads.get(m.thread_id),
  ])
  if (!contact) throw notFound('message', id)
  const facts = await loadRecipientFacts(
    svc,
    { channelName: m.channel, contact, identity, thread },
    now,
  )
  const d = evaluate({ ...facts.input, content: contentOf(m, thread?.tags ?? []) })
  if (!d.allowed) throw refusal(d)

  const at = now.toISOString()
  const out = await svc.store.messages.retry({
    id: m.id,
    threadId: m.thread_id,
    contactId: m.contact_id,
    channel: m.channel,
    actor,
    now: at,
    earlierHistory: m.status_history,
    // As a single send's job (send/plan.ts): one person's messages on a channel go in order.
    recipientKey: `${m.channel}:${m.address}`,
    dueAtMs: Date.now(),
    events: svc.events('message.status', statusEvent(m, 'queued', null), at),
  })
  if (!out.ok) {
    if (out.status === null) throw notFound('message', id)
    throw notRetryable(m.id, out.status)
  }
  svc.live.publish([liveEvent('message.status', statusEvent(m, 'queued', null), at)])
  svc.log.info({ component: 'retry', message_id: m.id, by: actor }, 'failed message re-queued')
  svc.kick()
  return out.message
}

/** The stored message's content as the rules check a send's. */
function contentOf(m: MessageRecord, tags: readonly string[]): SendContent {
  return {
    text: m.text,
    attachments: m.attachments.map((a) => ({
      filename: a.filename,
      content_type: a.content_type,
      size: a.size,
    })),
    template: m.template,
    variables: m.template?.variables ?? {},
    email: m.email ? { from: m.email.from, subject: m.email.subject, bcc: m.email.bcc } : null,
    tags: [...tags],
  }
}

/** 409: only a failed outbound message is sent again. */
function notRetryable(id: string, status: MessageStatus): ApiError {
  if (status === 'sent' || status === 'delivered' || status === 'read') {
    return apiError(
      'message_already_sent',
      `message ${id} is ${status}: it left already and is not sent twice`,
      { message: id, status },
    )
  }
  return apiError(
    'message_not_failed',
    `message ${id} is ${status}: only a failed message can be retried`,
    { message: id, status },
  )
}
