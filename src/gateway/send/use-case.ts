/**
 * Sending one message (DESIGN §2): resolve the contact, identity and threads, ask `rules.evaluate()`,
 * then hand one plan to the store, which applies it in a group-committed transaction (thread created
 * or reopened and assigned, message `queued`, outbox job). The `202` goes out after the fsync.
 * Nothing here awaits the network inside a transaction; attachment URLs are fetched (and blobs
 * fsync'd) before the plan is submitted, and a refused send stores nothing.
 */
import type { z } from 'zod'
import { evaluate } from '../../rules/index.js'
import type { AcceptPlan, RecipientRead } from '../../store/types.js'
import { loadAttachments, type LoadedAttachment } from '../attachments/index.js'
import { apiError, refusal, ruleError } from '../errors.js'
import type { Caller } from '../http/route.js'
import type { messageAccepted } from '../http/responses/index.js'
import type { SendBody } from '../http/schemas.js'
import { newId } from '../ids.js'
import { liveEvent } from '../live/index.js'
import type { Services } from '../services.js'
import { decisionView, sendContent } from './content.js'
import { loadRecipientFacts } from './facts.js'
import { replay, type Idempotency, type SendOutcome } from './idempotency.js'
import { buildAcceptPlan } from './plan.js'
import { resolveTarget, type Target } from './target.js'
import { deferral, factsForLater, resolveSendAt } from '../schedule/send-at.js'

/**
 * How many times a send is decided before it is applied without the version guard. A send is
 * `stale` only when another write changed where it lands (a thread opened, reopened, closed …)
 * between its read and its commit; deciding again on fresh facts settles it, and a third change
 * in that window is a burst the store's own checks (single open thread, identities) still hold.
 */
const MAX_DECISIONS = 3

/** How a send made by the gateway itself differs from one asked through the API. */
export interface SendOptions {
  /** The opt-out confirmation (DESIGN §15): the one send check 3b lets through. */
  confirmsOptOut?: boolean
  /** An automation's send (DESIGN §14): authored by it, not by the caller's key. */
  author?: { kind: 'automation'; id: string }
  /**
   * A web chat fallback (DESIGN §12): filed in the web chat message's thread, though it goes out
   * on its own channel under that channel's rules — so the open chat is the thread it belongs to,
   * not a rival one (`thread_conflict`). Ignored when the thread is gone or another contact's.
   */
  inThread?: string
}

/**
 * `POST /v1/messages`: a decision (`dry_run`), or the message accepted (202, on disk) — or the
 * refusal as an API error. With `idempotency`, a repeated request answers what the first did.
 *
 * Sends to one person are decided one after the other, in every daemon, by the store: the plan
 * carries the contact's version read with the facts, its transaction takes the contact's row lock
 * (PostgreSQL; SQLite's one writer is exclusive) and checks the version under it. A send whose
 * facts went out of date meanwhile comes back `stale` and is decided again on fresh ones — so two
 * first messages sent at once share the thread the first one opens, as they did when one
 * in-process queue per person ordered them (which two daemons could not share).
 */
export async function send(
  svc: Services,
  body: SendBody,
  caller: Caller,
  idempotency: Idempotency | null,
  opts: SendOptions = {},
): Promise<SendOutcome> {
  /** A send to a contact reads the key's answer with the contact: one round trip on PostgreSQL. */
  let read: RecipientRead | undefined
  if (idempotency && !body.dry_run) {
    const key = { keyId: caller.id, key: idempotency.key }
    const seen =
      body.contact_id && !body.thread_id
        ? (read = await svc.store.contacts.recipient(body.contact_id, key)).stored
        : await svc.store.idempotency.get(key.keyId, key.key)
    if (seen) return replay(seen, idempotency.bodyHash)
  }
  let attachments: LoadedAttachment[] | null = null
  let stored: AcceptPlan['attachments'] | null = null
  for (let decision = 1; ; decision++) {
    const now = svc.now()
    const target = await resolveTarget(svc, body, read)
    read = undefined // a decision taken again reads afresh
    if (opts.inThread && target.contact) target.thread = await ownThread(svc, target, opts.inThread)
    attachments ??= await loadAttachments(body.attachments ?? [], {
      // The channel's own limit is a rule (`attachment_rejected`); this only bounds the download.
      maxBytes: Math.max(largestAttachmentLimit(svc), 1),
      checkBase64: true,
      allowPrivate: svc.config().security.allow_private_urls,
    })
    const records = opts.confirmsOptOut === true ? { ...target, optedOut: false } : target
    const facts = await loadRecipientFacts(svc, records, now)
    const sendAt = resolveSendAt(body.send_at, now)
    const input = sendAt ? factsForLater(facts.input) : facts.input
    const d = evaluate({ ...input, content: sendContent(body, attachments) })
    if (!d.allowed) throw refusal(d)
    const deferred = deferral(facts.input, target.contact?.timezone, sendAt ?? now)
    if (body.dry_run) return { status: 200, body: { dry_run: true, ...decisionView(d) } }

    stored ??= await storeBlobs(svc, attachments)
    const plan = buildAcceptPlan(svc, target, d, {
      caller,
      tags: body.tags ?? [],
      attachments: stored,
      now,
      activeThreads: facts.activeThreads,
      sendAt: deferred ?? sendAt,
      ...(opts.author ? { author: opts.author } : {}),
    })
    if (decision === MAX_DECISIONS && 'existing' in plan.contact) delete plan.contact.version
    const response = { ...acceptedView(plan), deferred_until: deferred?.toISOString() ?? null }
    if (idempotency) {
      plan.idempotency = {
        keyId: caller.id,
        key: idempotency.key,
        bodyHash: idempotency.bodyHash,
        status: 202,
        response: JSON.stringify(response),
      }
    }
    const out = await svc.store.accept(plan)
    if (out.ok) {
      svc.live.publish([
        liveEvent('message.status', { ...statusOf(response), status: 'queued' }, plan.now),
      ])
      svc.metrics.accepted.inc({ channel: plan.message.channel })
      svc.kick()
      return { status: 202, body: response }
    }
    if (out.code === 'idempotency_replay') return replay(out, idempotency?.bodyHash ?? '')
    if (out.code === 'stale') {
      // A new contact whose address someone else took every time: theirs, not a new one.
      if (decision >= MAX_DECISIONS)
        throw apiError('identity_taken', 'another contact took this address meanwhile; try again', {
          channel: target.channelName,
        })
      continue
    }
    throw ruleError(
      'thread_conflict',
      `the contact already has an active thread (${out.thread.id}); send into it or close it first`,
      `channels.${target.channelName}.rules.single_open_thread`,
      { thread_id: out.thread.id, assignee: out.thread.assignee },
    )
  }
}

/** `threadId` when it is the target contact's, else the thread the target already had. */
async function ownThread(
  svc: Services,
  target: Target,
  threadId: string,
): Promise<Target['thread']> {
  const thread = await svc.store.threads.get(threadId)
  return thread && thread.contact_id === target.contact?.id ? thread : target.thread
}

/** The largest attachment any channel takes: the channel is not known when files are fetched. */
function largestAttachmentLimit(svc: Services): number {
  return Math.max(
    ...Object.values(svc.config().channels).map((c) => c.info.limits.attachmentBytesMax),
    0,
  )
}

/** Writes (and fsyncs) the files as blobs before the plan that points at them is committed. */
async function storeBlobs(
  svc: Services,
  attachments: readonly LoadedAttachment[],
): Promise<AcceptPlan['attachments']> {
  const stored: AcceptPlan['attachments'] = []
  for (const a of attachments) {
    const blob = await svc.store.blobs.put(a.data)
    stored.push({
      id: newId('att'),
      sha256: blob.sha256,
      filename: a.filename,
      content_type: a.content_type,
      size: blob.size,
    })
  }
  return stored
}

/** The 202's body (the `MessageAccepted` schema), also what an `Idempotency-Key` replays. */
function acceptedView(plan: AcceptPlan): z.output<typeof messageAccepted> {
  return {
    id: plan.message.id,
    status: 'queued',
    channel: plan.message.channel,
    contact_id: 'existing' in plan.contact ? plan.contact.existing : plan.contact.create.id,
    thread_id:
      'create' in plan.thread
        ? plan.thread.create.id
        : 'reuse' in plan.thread
          ? plan.thread.reuse
          : plan.thread.reopen,
    direction: 'out',
    author: plan.message.author,
    address: plan.message.address,
    /** @deprecated the same as `address` (the name GET /v1/messages/{id} uses); kept for clients. */
    to: plan.message.address,
    text: plan.message.text,
    template: plan.message.template,
    email: plan.message.email,
    attachments: plan.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      content_type: a.content_type,
      size: a.size,
    })),
    created_at: plan.now,
    send_at: plan.message.send_at ?? null,
  }
}

/** The `message.status` live event's data for a message just accepted. */
function statusOf(m: z.output<typeof messageAccepted>): Record<string, unknown> {
  const { id, thread_id, contact_id, channel } = m
  return { message_id: id, thread_id, contact_id, channel, platform_message_id: null, error: null }
}
