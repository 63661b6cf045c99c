/**
 * `GET /v1/contacts/{id}/export` (admin, DESIGN §15): everything we hold about the person in one
 * JSON document — the profile with its identities, every thread with its events, every message
 * (both directions) with its status history, each attachment as a signed, expiring link to
 * `GET /v1/attachments/{id}` (no key needed until `expires_at`, `security.attachment_link_ttl`),
 * the consent state and history (as `GET …/consent`), the ids of the contacts merged into it
 * (their rows moved here, so the sections above hold them) and the app-webhook dead letters that
 * name any of these ids. A merged id answers 301 to its survivor, as every read does.
 */
import type { z } from 'zod'
import type { ConsentRecord, DeadLetter, MessageRecord, ThreadRecord } from '../../store/types.js'
import { mustContact } from '../contacts/merged.js'
import { apiError } from '../errors.js'
import type { contactExport } from '../http/responses/data-rights.js'
import type { JsonResult, RouteInput } from '../http/route.js'
import type { Services } from '../services.js'
import { contactView, eventView, messageView, threadView } from '../views.js'
import { deliveryView } from '../webhooks/routes.js'

/** Rows per store read while walking the pages (the API's own page maximum). */
const PAGE = 200

export const exportContactRoute =
  (svc: Services) =>
  async (i: RouteInput<unknown, unknown>): Promise<JsonResult> => {
    if (!i.caller) throw apiError('unauthorized', 'missing API key')
    const contact = await mustContact(svc, i.params.id ?? '')
    const id = contact.id
    const merged = await mergedIds(svc, id)
    const [state, history] = await Promise.all([
      svc.store.consent.state(id),
      svc.store.consent.history(id),
    ])
    const identities = await svc.store.identities.listByContact(id)
    const threads = await allThreads(svc, id)
    const out: z.output<typeof contactExport> = {
      exported_at: svc.now().toISOString(),
      contact: contactView(contact, identities),
      threads: [],
      messages: [],
      attachments: [],
      consent: {
        contact_id: id,
        channels: state.map(consentView),
        history: history.map(consentView),
      },
      merged,
      dead_letters: (await deadLettersNaming(svc, [id, ...merged])).map(deliveryView),
    }
    const nowMs = Date.now()
    const expires = new Date(nowMs + svc.config().security.attachment_link_ttl_ms).toISOString()
    for (const t of threads) {
      const events = await svc.store.threads.events(t.id)
      out.threads.push({ ...threadView(t), events: events.map(eventView) })
      for (const m of await allMessages(svc, t.id)) {
        out.messages.push(messageView(m))
        for (const a of m.attachments) {
          out.attachments.push({
            id: a.id,
            message_id: m.id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            url: svc.links.url(a.id, nowMs),
            expires_at: expires,
          })
        }
      }
    }
    svc.log.info(
      { component: 'audit', action: 'contact.export', key_id: i.caller.id, contact_id: id },
      'contact exported',
    )
    return { status: 200, body: out }
  }

async function allThreads(svc: Services, contactId: string): Promise<ThreadRecord[]> {
  const all: ThreadRecord[] = []
  let cursor: string | undefined
  do {
    const page = await svc.store.threads.list({ contact_id: contactId, limit: PAGE, cursor })
    all.push(...page.items)
    cursor = page.next_cursor ?? undefined
  } while (cursor !== undefined)
  return all
}

async function allMessages(svc: Services, threadId: string): Promise<MessageRecord[]> {
  const all: MessageRecord[] = []
  let cursor: string | undefined
  do {
    const page = await svc.store.messages.listByThread(threadId, PAGE, cursor)
    all.push(...page.items)
    cursor = page.next_cursor ?? undefined
  } while (cursor !== undefined)
  return all
}

/** The ids of the contacts merged into this one (the store keeps them with `merged_into`). */
function mergedIds(svc: Services, id: string): Promise<string[]> {
  return svc.store.contacts.mergedInto(id)
}

/** Dead letters whose event names one of the ids (ids are ULIDs: a quoted match is exact). */
async function deadLettersNaming(svc: Services, ids: readonly string[]): Promise<DeadLetter[]> {
  const out: DeadLetter[] = []
  let cursor: string | undefined
  do {
    const page = await svc.store.webhooks.deadLetters(PAGE, cursor)
    out.push(...page.items.filter((d) => ids.some((id) => d.payload.includes(`"${id}"`))))
    cursor = page.next_cursor ?? undefined
  } while (cursor !== undefined)
  return out
}

function consentView(r: ConsentRecord) {
  return { channel: r.channel, status: r.status, at: r.at, source: r.source }
}
