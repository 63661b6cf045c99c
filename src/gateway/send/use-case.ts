/**
 * Sending one message (DESIGN §2): resolve the contact, identity and threads, ask `rules.evaluate()`,
 * then hand one plan to the store, which applies it in a group-committed transaction (thread created
 * or reopened and assigned, message `queued`, outbox job). The `202` goes out after the fsync.
 * Nothing here awaits the network inside a transaction; attachment URLs are fetched (and blobs
 * fsync'd) before the plan is submitted, and a refused send stores nothing.
 */
import type { z } from 'zod'
import { evaluate } from '../../rules/index.js'
import type { AcceptPlan } from '../../store/types.js'
import { loadAttachments, type LoadedAttachment } from '../attachments/index.js'
import { refusal, ruleError } from '../errors.js'
import type { Caller } from '../http/route.js'
import type { messageAccepted } from '../http/responses/index.js'
import type { SendBody } from '../http/schemas.js'
import { newId } from '../ids.js'
import type { Services } from '../services.js'
import { decisionView, sendContent } from './content.js'
import { recipientFacts } from './facts.js'
import { replay, type Idempotency, type SendOutcome } from './idempotency.js'
import { buildAcceptPlan } from './plan.js'
import { personKey, serialized } from './serialize.js'
import { resolveTarget } from './target.js'

/**
 * `POST /v1/messages`: a decision (`dry_run`), or the message accepted (202, on disk) — or the
 * refusal as an API error. With `idempotency`, a repeated request answers what the first did.
 */
export async function send(
  svc: Services,
  body: SendBody,
  caller: Caller,
  idempotency: Idempotency | null,
): Promise<SendOutcome> {
  if (idempotency && !body.dry_run) {
    const seen = svc.store.idempotency.get(caller.id, idempotency.key)
    if (seen) return replay(seen, idempotency.bodyHash)
  }
  return serialized(personKey(svc, body), () => decideAndAccept(svc, body, caller, idempotency))
}

async function decideAndAccept(
  svc: Services,
  body: SendBody,
  caller: Caller,
  idempotency: Idempotency | null,
): Promise<SendOutcome> {
  if (idempotency && !body.dry_run) {
    // A concurrent send with this key may have been accepted while this one waited its turn.
    const seen = svc.store.idempotency.get(caller.id, idempotency.key)
    if (seen) return replay(seen, idempotency.bodyHash)
  }
  const now = svc.now()
  const target = resolveTarget(svc, body)
  const attachments = await loadAttachments(body.attachments ?? [], {
    // The channel's own limit is a rule (`attachment_rejected`); this only bounds the download.
    maxBytes: Math.max(largestAttachmentLimit(svc), 1),
    checkBase64: true,
    allowPrivate: svc.config().security.allow_private_urls,
  })
  const decision = evaluate({
    ...recipientFacts(svc, target, now),
    content: sendContent(body, attachments),
  })
  if (!decision.allowed) throw refusal(decision)
  if (body.dry_run) return { status: 200, body: { dry_run: true, ...decisionView(decision) } }

  const stored = await storeBlobs(svc, attachments)
  const plan = buildAcceptPlan(svc, target, decision, {
    caller,
    tags: body.tags ?? [],
    attachments: stored,
    now,
  })
  const response = acceptedView(plan)
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
  if (!out.ok) {
    if (out.code === 'idempotency_replay') return replay(out, idempotency?.bodyHash ?? '')
    throw ruleError(
      'thread_conflict',
      `the contact already has an active thread (${out.thread.id}); send into it or close it first`,
      `channels.${target.channelName}.rules.single_open_thread`,
      { thread_id: out.thread.id, assignee: out.thread.assignee },
    )
  }
  svc.metrics.accepted.inc({ channel: plan.message.channel })
  svc.kick()
  return { status: 202, body: response }
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
  }
}
