/**
 * Step 6 of DESIGN §5: one open (or snoozed) thread per contact, unless the channel allows sending
 * beside one (email by default). Decides which thread the send lands in.
 */
import { refusal, type Refusal } from './refusal.js'
import type { ChannelInfo, ChannelRules, ThreadFacts } from './types.js'

export type ThreadOutcome =
  | {
      ok: true
      /** The open/snoozed thread to reuse, or null to create one (or reopen a closed target). */
      reuseThreadId: string | null
      /** The tags the thread already has (target or reused thread). */
      tags: string[]
    }
  | { ok: false; refusal: Refusal }

/**
 * "Strict single open": a contact may have one active (open or snoozed) thread at a time on this
 * channel's sends — `single_open_thread` on and `allow_with_open_thread` off. The one place this is
 * derived: the rules, thread creation, the store's guard and inbound messages all ask here.
 */
export function strictSingleOpen(
  rules: Pick<ChannelRules, 'single_open_thread' | 'allow_with_open_thread'>,
): boolean {
  return rules.single_open_thread && !rules.allow_with_open_thread
}

/**
 * Picks the thread for a send. With `single_open_thread` (and no `allow_with_open_thread`), an
 * active thread other than the target — or, without a target, one on another channel — is a
 * conflict; an active thread on this channel is reused.
 */
export function checkThreads(
  channel: ChannelInfo,
  openThreads: readonly ThreadFacts[],
  target: ThreadFacts | null,
): ThreadOutcome {
  const active = openThreads.filter((t) => t.status !== 'closed')
  const strict = strictSingleOpen(channel.rules)

  if (target !== null) {
    const other = strict ? active.find((t) => t.id !== target.id) : undefined
    if (other !== undefined) return { ok: false, refusal: conflict(channel, other) }
    return {
      ok: true,
      reuseThreadId: target.status === 'closed' ? null : target.id,
      tags: target.tags,
    }
  }

  // An open thread beats a snoozed one: it is the conversation an agent is looking at.
  const here = active
    .filter((t) => t.channel === channel.name)
    .sort((a, b) => Number(a.status === 'snoozed') - Number(b.status === 'snoozed'))[0]
  if (here !== undefined) return { ok: true, reuseThreadId: here.id, tags: here.tags }
  const elsewhere = strict ? active[0] : undefined
  if (elsewhere !== undefined) return { ok: false, refusal: conflict(channel, elsewhere) }
  return { ok: true, reuseThreadId: null, tags: [] }
}

function conflict(channel: ChannelInfo, other: ThreadFacts): Refusal {
  const who = other.assignee === null ? 'unassigned' : `assigned to ${other.assignee}`
  return refusal(
    'thread_conflict',
    `The contact already has an ${other.status} thread ${other.id} on channel "${other.channel}" ` +
      `(${who}): reply in that thread, or close it before starting another.`,
    `channels.${channel.name}.rules.single_open_thread`,
    { thread_id: other.id, assignee: other.assignee, channel: other.channel },
  )
}
