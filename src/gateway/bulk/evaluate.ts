/**
 * One chunk of a bulk's recipients through the same `rules.evaluate()` and personalisation as a
 * single send: facts are loaded for the whole chunk at once (a handful of queries, not a few per
 * recipient), each recipient is decided on its own, and an allowed one becomes the AcceptPlan a
 * single send would make, with the bulk's id and its paced due time. Refused recipients are
 * counted by code; a recipient is never half-sent.
 */
import { countsAsUnreplied, evaluate } from '../../rules/index.js'
import type { SendContent } from '../../rules/types.js'
import type { AcceptPlan } from '../../store/types.js'
import type { Caller } from '../http/route.js'
import { buildAcceptPlan, contactFacts, recipientFacts, unrepliedToday } from '../send/index.js'
import type { Services } from '../services.js'
import { deferral, factsForLater } from '../schedule/send-at.js'

/** When the chunk's first message is due and how far apart the next ones go (ms, wall clock). */
export interface Pace {
  start: number
  intervalMs: number
}

export interface BulkJob {
  /** null for a dry run: nothing is built to be stored. */
  id: string | null
  channel: string
  caller: Caller
  content: SendContent
  /** A scheduled bulk: its messages are held until then (DESIGN §14). */
  sendAt?: Date | null
}

export interface Evaluated {
  /** Allowed recipients' plans (none in a dry run). */
  plans: AcceptPlan[]
  eligible: number
  skipped: Record<string, number>
  /** The due time after the last plan: where the next chunk starts. */
  nextDue: number
}

/** Skip code for an id that names no contact (deleted since, or never existed). */
export const CONTACT_GONE = 'not_found'

export async function evaluateRecipients(
  svc: Services,
  job: BulkJob,
  contactIds: readonly string[],
  now: Date,
  pace: Pace,
): Promise<Evaluated> {
  const facts = await svc.store.bulk.facts(contactIds, job.channel)
  const optedOut = await svc.store.consent.optedOut(contactIds, job.channel)
  // The cap counts this chunk's own first messages too, as they would be counted one by one.
  let unreplied = await unrepliedToday(svc, job.channel, now)
  const out: Evaluated = { plans: [], eligible: 0, skipped: {}, nextDue: pace.start }
  const skip = (code: string) => (out.skipped[code] = (out.skipped[code] ?? 0) + 1)
  for (const id of contactIds) {
    const f = facts.get(id)
    if (!f) {
      skip(CONTACT_GONE)
      continue
    }
    const records = {
      channelName: job.channel,
      contact: f.contact,
      identity: f.identity,
      thread: null,
      activeThreads: f.activeThreads,
      optedOut: optedOut.has(id),
    }
    const input = recipientFacts(svc, records, now, unreplied)
    const d = evaluate({ ...(job.sendAt ? factsForLater(input) : input), content: job.content })
    if (!d.allowed) {
      skip(d.code ?? 'refused')
      continue
    }
    if (input.channel !== null && countsAsUnreplied(input.channel, input.identity)) unreplied++
    out.eligible++
    if (job.id === null) continue
    const dueAt = Math.round(pace.start + out.plans.length * pace.intervalMs)
    // Each recipient's send window (their own zone with `timezone: contact`) may defer theirs.
    const at = new Date(Math.max(dueAt, job.sendAt?.getTime() ?? 0))
    const deferred = deferral(input, f.contact.timezone, at)
    out.plans.push(
      buildAcceptPlan(svc, { ...records, newContact: contactFacts(f.contact) }, d, {
        caller: job.caller,
        tags: job.content.tags,
        attachments: [],
        now,
        bulk: { id: job.id, dueAt },
        activeThreads: f.activeThreads,
        sendAt: deferred ?? job.sendAt ?? null,
      }),
    )
  }
  out.nextDue = pace.start + out.plans.length * pace.intervalMs
  return out
}
