/**
 * Outbound flow (DESIGN §2): resolve the contact, identity and threads, ask `rules.evaluate()`, then
 * hand one plan to the store, which applies it in a group-committed transaction (thread created or
 * reopened and assigned, message `queued`, outbox job). The `202` goes out after the fsync. Nothing
 * here awaits the network inside a transaction; attachment URLs are fetched (and blobs fsync'd)
 * before the plan is submitted, and a refused send stores nothing.
 */
import { createHash } from 'node:crypto'
import type { z } from 'zod'
import { evaluate, normalizeAddress, type Refusal } from '../rules/index.js'
import type { ContactFacts, Decision, IdentityFacts } from '../rules/types.js'
import type { ContactRecord, IdentityRecord, ThreadRecord } from '../store/types.js'
import { ApiError, apiError, notFound, ruleError, type RuleErrorCode } from './errors.js'
import type { Caller } from './http/route.js'
import type { decision, messageAccepted } from './http/responses/index.js'
import type { SendBody } from './http/schemas.js'
import { newId } from './ids.js'
import { fetchAttachment, AttachmentFetchError } from './net/fetch-attachment.js'
import { NO_CONTACT, recipientFacts } from './send-facts.js'
import type { Services } from './services.js'
import { buildAcceptPlan } from './send-plan.js'

export interface SendOutcome {
  status: 200 | 202
  body: Record<string, unknown>
}

interface Target {
  contact: ContactRecord | null
  newContact: ContactFacts
  channelName: string
  identity: IdentityRecord | null
  /** A brand-new contact's address from `to`, as the rules should see it (never written to yet). */
  draftIdentity: IdentityFacts | null
  thread: ThreadRecord | null
}

interface ReadyAttachment {
  filename: string
  content_type: string
  size: number
  data: Buffer
}

export async function send(
  svc: Services,
  body: SendBody,
  caller: Caller,
  idempotency: { key: string; bodyHash: string } | null,
): Promise<SendOutcome> {
  if (idempotency && !body.dry_run) {
    const seen = svc.store.idempotency.get(caller.id, idempotency.key)
    if (seen) return replay(seen, idempotency.bodyHash)
  }
  // Sends to one person are decided one after the other: two first messages sent at once must
  // share the thread the first one opens (and one new contact), not collide on it (409/identity).
  return serialized(personKey(svc, body), () => decideAndAccept(svc, body, caller, idempotency))
}

async function decideAndAccept(
  svc: Services,
  body: SendBody,
  caller: Caller,
  idempotency: { key: string; bodyHash: string } | null,
): Promise<SendOutcome> {
  if (idempotency && !body.dry_run) {
    // A concurrent send with this key may have been accepted while this one waited its turn.
    const seen = svc.store.idempotency.get(caller.id, idempotency.key)
    if (seen) return replay(seen, idempotency.bodyHash)
  }
  const now = svc.now()
  const target = resolveTarget(svc, body)
  const attachments = await loadAttachments(svc, body)
  const decision = evaluate({
    ...recipientFacts(svc, target, now),
    content: {
      text: body.text ?? null,
      attachments: attachments.map((a) => ({
        filename: a.filename,
        content_type: a.content_type,
        size: a.size,
      })),
      template: body.template
        ? { name: body.template.name, variables: body.template.variables ?? {} }
        : null,
      variables: body.variables ?? {},
      email: body.email
        ? {
            from: body.email.from ?? null,
            subject: body.email.subject ?? null,
            bcc: body.email.bcc ?? [],
          }
        : null,
      tags: body.tags ?? [],
    },
  })
  if (!decision.allowed) throw refusal(decision)
  if (body.dry_run) return { status: 200, body: { dry_run: true, ...decisionView(decision) } }

  const stored = []
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
  const plan = buildAcceptPlan(svc, target, decision, {
    caller,
    tags: body.tags ?? [],
    attachments: stored,
    now,
  })
  const response: z.output<typeof messageAccepted> = {
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
    attachments: stored.map((a) => ({
      id: a.id,
      filename: a.filename,
      content_type: a.content_type,
      size: a.size,
    })),
    created_at: plan.now,
  }
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

const turns = new Map<string, Promise<unknown>>()

/** Runs `fn` after every earlier call with the same key has settled (an in-process queue per key). */
async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = turns.get(key) ?? Promise.resolve()
  const run = prev.then(fn, fn)
  const tail = run.catch(() => undefined)
  turns.set(key, tail)
  try {
    return await run
  } finally {
    if (turns.get(key) === tail) turns.delete(key)
  }
}

/** Who a send goes to, before anything is resolved: the contact, or the channel address. */
function personKey(svc: Services, body: SendBody): string {
  if (body.contact_id) return `ct:${body.contact_id}`
  if (body.thread_id) {
    const t = svc.store.threads.get(body.thread_id)
    return t ? `ct:${t.contact_id}` : `th:${body.thread_id}`
  }
  return `to:${body.to?.channel ?? ''}:${(body.to?.address ?? '').trim().toLowerCase()}`
}

/** sha256 of the raw body: "same key + same body" is byte-for-byte. */
export function bodyHash(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex')
}

function replay(
  seen: { bodyHash: string; status: number; response: string },
  bodyHashNow: string,
): SendOutcome {
  if (seen.bodyHash !== bodyHashNow) {
    throw apiError(
      'idempotency_mismatch',
      'this Idempotency-Key was already used with a different body',
      {},
    )
  }
  const body = JSON.parse(seen.response) as Record<string, unknown>
  // An answer stored before the 202 carried `address` replays with it too.
  if (body.address === undefined && typeof body.to === 'string') body.address = body.to
  return { status: seen.status as 202, body }
}

function resolveTarget(svc: Services, body: SendBody): Target {
  const empty = NO_CONTACT
  if (body.thread_id) {
    const thread = svc.store.threads.get(body.thread_id)
    if (!thread) throw notFound('thread', body.thread_id)
    if (body.channel && body.channel !== thread.channel) {
      throw apiError(
        'invalid_field',
        `channel: thread ${thread.id} is on channel ${thread.channel}, not ${body.channel}`,
        { field: 'channel' },
      )
    }
    const contact = mustContact(svc, thread.contact_id)
    const identity =
      svc.store.identities.listByContact(contact.id).find((i) => i.channel === thread.channel) ??
      null
    return {
      contact,
      newContact: empty,
      channelName: thread.channel,
      identity,
      draftIdentity: null,
      thread,
    }
  }
  if (body.contact_id) {
    const contact = mustContact(svc, body.contact_id)
    const identities = svc.store.identities.listByContact(contact.id)
    let channelName = body.channel
    if (!channelName) {
      const active = svc.store.threads.listActiveByContact(contact.id)
      const only =
        identities.length === 1
          ? identities[0]?.channel
          : active.length === 1
            ? active[0]?.channel
            : undefined
      if (!only) {
        throw apiError(
          'channel_required',
          `channel: contact ${contact.id} can be reached on several channels (or none); name one`,
          {
            field: 'channel',
            channels: identities.map((i) => i.channel),
          },
        )
      }
      channelName = only
    }
    const identity = identities.find((i) => i.channel === channelName) ?? null
    return { contact, newContact: empty, channelName, identity, draftIdentity: null, thread: null }
  }
  const to = body.to
  if (!to)
    throw apiError('invalid_field', 'give exactly one of contact_id, to or thread_id', {
      field: 'contact_id',
    })
  if (body.channel && body.channel !== to.channel) {
    throw apiError('invalid_field', `channel: differs from to.channel (${to.channel})`, {
      field: 'channel',
    })
  }
  const ch = svc.config().channels[to.channel]
  if (ch) {
    const norm = normalizeAddress(ch.info.addressKind, to.address)
    if (!norm.ok)
      throw ruleError(
        'address_invalid',
        `to.address: ${norm.reason}`,
        // As the rules name it: a webhook channel's `address` key decides, else the channel type.
        `channels.${to.channel}.${ch.info.type === 'webhook' ? 'address' : 'type'}`,
        { field: 'to.address' },
      )
    const identity = svc.store.identities.find(to.channel, norm.address)
    if (identity) {
      return {
        contact: mustContact(svc, identity.contact_id),
        newContact: empty,
        channelName: to.channel,
        identity,
        draftIdentity: null,
        thread: null,
      }
    }
  }
  // A brand-new contact: the rules see an identity that never wrote (contact-first channels refuse).
  const newContact: ContactFacts = {
    ...empty,
    first_name: to.first_name ?? null,
    last_name: to.last_name ?? null,
    email: to.email ?? null,
    phone: to.phone ?? null,
    external_id: to.external_id ?? null,
    attributes: to.attributes ?? {},
  }
  const kind = ch?.info.addressKind
  if (kind === 'email') newContact.email ??= to.address.trim().toLowerCase()
  else if (kind === 'phone') newContact.phone ??= to.address
  const draftIdentity = {
    address: to.address,
    first_inbound_at: null,
    last_inbound_at: null,
    reachable: true,
  }
  return {
    contact: null,
    newContact,
    channelName: to.channel,
    identity: null,
    draftIdentity,
    thread: null,
  }
}

function mustContact(svc: Services, id: string): ContactRecord {
  const c = svc.store.contacts.get(id)
  if (!c) throw notFound('contact', id)
  return c
}

async function loadAttachments(svc: Services, body: SendBody): Promise<ReadyAttachment[]> {
  const out: ReadyAttachment[] = []
  const max = Math.max(
    ...Object.values(svc.config().channels).map((c) => c.info.limits.attachmentBytesMax),
    0,
  )
  for (const [i, a] of (body.attachments ?? []).entries()) {
    if (a.data !== undefined) {
      if (!/^[A-Za-z0-9+/=\s_-]*$/.test(a.data)) {
        throw apiError('invalid_field', `attachments[${i}].data: not base64`, {
          field: `attachments[${i}].data`,
        })
      }
      const data = Buffer.from(a.data, 'base64')
      out.push({ filename: a.filename, content_type: a.content_type, size: data.length, data })
      continue
    }
    try {
      const got = await fetchAttachment(a.url ?? '', {
        allowPrivate: svc.config().security.allow_private_urls,
        maxBytes: Math.max(max, 1),
        timeoutMs: 15_000,
      })
      out.push({
        filename: a.filename,
        content_type: a.content_type,
        size: got.data.length,
        data: got.data,
      })
    } catch (e) {
      if (e instanceof AttachmentFetchError) {
        const code =
          e.code === 'url_forbidden' || e.code === 'url_invalid'
            ? 'url_forbidden'
            : 'attachment_unavailable'
        throw apiError(code, `attachments[${i}].url: ${e.message}`, {
          field: `attachments[${i}].url`,
        })
      }
      throw e
    }
  }
  return out
}

/** The API error of a refused decision, or of a rules' refusal the gateway met on its own. */
export function refusal(d: Decision | Refusal): ApiError {
  return ruleError(d.code as RuleErrorCode, d.message, d.rule, d.details)
}

export function decisionView(d: Decision): Omit<z.output<typeof decision>, 'dry_run'> {
  return {
    allowed: d.allowed,
    code: d.code ?? null,
    message: d.message,
    rule: d.rule ?? null,
    allowed_kinds: d.allowed_kinds,
    window_expires_at: d.window_expires_at ?? null,
    address: d.address ?? null,
    rendered: d.rendered ?? null,
    thread_id: d.reuseThreadId ?? null,
  }
}
