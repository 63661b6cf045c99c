/**
 * Bulk sends (DESIGN §1.6): the audience is resolved once — a contact search's filter or a list of
 * ids — and stored with the content as the job's snapshot; the 202 goes out once that is on disk
 * and the first chunk has been checked. The runner does the rest in chunks. A dry run checks every
 * recipient the same way and stores nothing.
 */
import { apiError, notFound, ruleError } from '../errors.js'
import type { Caller } from '../http/route.js'
import { BULK_MAX_RECIPIENTS, type BulkBody } from '../http/schemas.js'
import { newId } from '../ids.js'
import type { Services } from '../services.js'
import { evaluateRecipients, type BulkJob } from './evaluate.js'
import { bulkRunner } from './runner.js'
import { sendContent, specOf } from './spec.js'
import { bulkView } from './view.js'
import { resolveSendAt } from '../schedule/send-at.js'

/** Recipients a dry run checks between two turns of the event loop (≈ 15 ms of work). */
const DRY_RUN_CHUNK = 1000

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export interface BulkOutcome {
  status: 200 | 202
  body: Record<string, unknown>
}

export async function createBulk(
  svc: Services,
  body: BulkBody,
  caller: Caller,
): Promise<BulkOutcome> {
  checkRequest(svc, body)
  const sendAt = resolveSendAt(body.send_at, svc.now())
  const filter = body.filter ? resolveFilter(body.filter, caller) : null
  const contactIds = filter ? await audience(svc, filter) : [...new Set(body.contact_ids ?? [])]
  const spec = specOf(body, filter, sendAt)
  if (body.dry_run) {
    const job: BulkJob = {
      id: null,
      channel: body.channel,
      caller,
      content: sendContent(spec),
      sendAt,
    }
    return { status: 200, body: await dryRun(svc, job, contactIds) }
  }
  // Finding 100 000 contacts takes ≈ 80 ms: requests that arrived meanwhile go first. The job
  // and its first chunk follow in one go (≈ 40 ms), so nothing else can take that chunk.
  await nextTurn()
  const { store } = svc
  const created = await store.bulk.create(
    {
      id: newId('bk'),
      channel: body.channel,
      author: { kind: caller.role === 'app' ? 'app' : 'agent', id: caller.id },
      spec,
      contactIds,
      // A scheduled bulk is paced from its time on.
      next_due_at: sendAt?.getTime() ?? 0,
    },
    svc.now().toISOString(),
  )
  await bulkRunner(svc).submit(created.id)
  const b = (await store.bulk.get(created.id)) ?? created
  return { status: 202, body: bulkView(b, await store.bulk.counts(b.id)) }
}

export async function getBulk(svc: Services, id: string): Promise<Record<string, unknown>> {
  const b = await svc.store.bulk.get(id)
  if (!b) throw notFound('bulk', id)
  return bulkView(b, await svc.store.bulk.counts(id))
}

export async function cancelBulk(svc: Services, id: string): Promise<Record<string, unknown>> {
  const b = await bulkRunner(svc).cancel(id)
  if (!b) throw notFound('bulk', id)
  return bulkView(b, await svc.store.bulk.counts(id))
}

/** What would refuse every recipient alike is refused once, up front. */
function checkRequest(svc: Services, body: BulkBody): void {
  const config = svc.config()
  const ch = config.channels[body.channel]
  if (!ch) {
    throw ruleError(
      'channel_unknown',
      `channel: no channel named ${body.channel}`,
      `channels.${body.channel}`,
      { field: 'channel' },
    )
  }
  if (!ch.info.enabled) {
    throw ruleError(
      'channel_disabled',
      `channel: ${body.channel} is disabled: ${ch.info.disabledReason ?? 'its settings are incomplete'}`,
      `channels.${body.channel}`,
      { field: 'channel', reason: ch.info.disabledReason ?? null },
    )
  }
  if (body.template && !config.templates[body.template.name]) {
    throw ruleError(
      'template_unknown',
      `template.name: no template named ${body.template.name}`,
      `templates.${body.template.name}`,
      { field: 'template.name' },
    )
  }
}

function resolveFilter(f: NonNullable<BulkBody['filter']>, caller: Caller): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k] = v
  if (out.assignee === 'me') out.assignee = caller.id
  return out
}

/** Every contact matching the filter, newest activity first; refused above the maximum. */
async function audience(svc: Services, filter: Record<string, string>): Promise<string[]> {
  const ids = await svc.store.contacts.searchIds(filter, BULK_MAX_RECIPIENTS + 1)
  if (ids.length > BULK_MAX_RECIPIENTS) {
    throw apiError(
      'too_many_recipients',
      `filter: more than ${BULK_MAX_RECIPIENTS} contacts match; narrow the filter or split the bulk`,
      { field: 'filter', max: BULK_MAX_RECIPIENTS },
    )
  }
  return ids
}

async function dryRun(
  svc: Services,
  job: BulkJob,
  contactIds: readonly string[],
): Promise<Record<string, unknown>> {
  const now = svc.now()
  let eligible = 0
  const skipped: Record<string, number> = {}
  for (let i = 0; i < contactIds.length; i += DRY_RUN_CHUNK) {
    if (i > 0) await nextTurn()
    const r = await evaluateRecipients(svc, job, contactIds.slice(i, i + DRY_RUN_CHUNK), now, {
      start: 0,
      intervalMs: 0,
    })
    eligible += r.eligible
    for (const [code, n] of Object.entries(r.skipped)) skipped[code] = (skipped[code] ?? 0) + n
  }
  return { dry_run: true, channel: job.channel, total: contactIds.length, eligible, skipped }
}
