/**
 * Eligibility (DESIGN §1 item 7): "may I message this contact on this channel, and what?", answered
 * by the same checks as a send (`evaluateRecipient()`), without inventing a message to test.
 */
import { evaluateRecipient, type RecipientInput } from './evaluate.js'
import type { MessageKind, RefusalCode } from './types.js'

/** One channel's answer. `code` without `can_send: false` is a "yes, but": what a send must carry. */
export interface Eligibility {
  /** A send can pass now with the right content (a kind from `allowed_kinds`, a tag if asked). */
  can_send: boolean
  allowed_kinds: MessageKind[]
  /** Why not (`can_send: false`), or what a send needs (`template_required`, `tags_required`). */
  code?: RefusalCode
  /** A sentence a person can act on, with `code`. */
  message?: string
  /** The config path that decided, with `code` when a config key did. */
  rule?: string
  details?: Record<string, unknown>
  /** The window's end (null: the contact never wrote); absent on channels without a window. */
  window_expires_at?: string | null
  /** The normalised address a send would go to, once known. */
  address?: string
  /** The thread a send would land in, or the one in the way (`thread_conflict`); null: a new one. */
  thread_id?: string | null
}

/**
 * Whether a send to this recipient could pass now, and with what: every check of `evaluate()` up
 * to the content. A refusal the content can lift (`template_required`, `tags_required`) leaves
 * `can_send` true and names what the send must carry; any other refusal makes it false. Pure.
 */
export function eligibility(input: RecipientInput): Eligibility {
  const d = evaluateRecipient(input)
  const why = d.allowed ? d.pending : d
  const threadId = d.allowed ? (d.reuseThreadId ?? null) : d.details?.['thread_id']
  return {
    can_send: d.allowed,
    allowed_kinds: d.allowed_kinds,
    ...(why?.code === undefined
      ? {}
      : {
          code: why.code,
          message: why.message,
          ...(why.rule === undefined ? {} : { rule: why.rule }),
          ...(why.details === undefined ? {} : { details: why.details }),
        }),
    ...(d.window_expires_at === undefined ? {} : { window_expires_at: d.window_expires_at }),
    ...(d.address === undefined ? {} : { address: d.address }),
    ...(typeof threadId === 'string' || threadId === null ? { thread_id: threadId } : {}),
  }
}
