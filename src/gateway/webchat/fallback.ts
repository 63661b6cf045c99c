/**
 * Offline fallback (DESIGN §12), per outbound web chat message. When the message is `sent`
 * (stored for the visitor), two durable timers are set: `push` a few seconds later, and `email`
 * after the channel's `fallback.after`. When a timer comes due, the scheduler's one daemon looks
 * at the message as it is then: still `sent` (no open widget received it) → a Web Push
 * notification through `fallback.push` if the contact has a subscription there; still not `read`
 * → one email copy through `fallback.email` to the contact's email, quoting the message, with a
 * link back to the site. Reading the message (`…/webchat/seen`) removes its timers.
 *
 * Each fallback is a normal send on its own channel (POST /v1/messages's use-case, author `app`
 * `webchat-fallback`), filed in the web chat message's thread (DESIGN §12: "in the same thread"),
 * so that channel's rules decide and the open chat is not a rival thread; a refusal is recorded
 * with its code on the message and never tried again. Records show on `GET /v1/messages/{id}` as
 * `fallback`, and the fallback's own message is in the thread and the contact's timeline. A send is keyed by an idempotency key per
 * message and kind, so a daemon killed between the send and the record sends nothing twice.
 */
import { SupervisedLoop } from '../../connectors/shared/supervised-loop.js'
import type { WebchatSettings } from '../../connectors/webchat/settings.js'
import type { FallbackRecord, FallbackTimer, MessageRecord } from '../../store/types.js'
import { ApiError } from '../errors.js'
import type { Caller } from '../http/route.js'
import type { LiveEvent } from '../live/bus.js'
import { send } from '../send/use-case.js'
import type { Services } from '../services.js'

/**
 * "Not delivered at once": an open widget receives a message within milliseconds of `sent`; 5 s
 * also covers a widget reconnecting (its SSE `retry:` is 3 s) before a phone buzzes needlessly.
 */
const PUSH_AFTER_MS = 5_000
/** How often due timers are looked for: the granularity of the fallbacks. */
const CHECK_EVERY_MS = 1_000
/** Timers run per pass; the rest wait for the next pass (one second later). */
const BATCH = 50
/** A push notification shows a line or two; the widget holds the whole message. */
const PUSH_TEXT_MAX = 200

/** Who the fallback sends are made by (the author of their messages). */
const FALLBACK_CALLER: Caller = { id: 'webchat-fallback', role: 'app' }

/** The fallback settings of the web chat channel `name`, or null when it has none now. */
function fallbackOf(svc: Services, name: string): WebchatSettings | null {
  const ch = svc.config().channels[name]
  return ch?.enabled && ch.settings.type === 'webchat' ? ch.settings : null
}

/**
 * Sets the timers of each web chat message that becomes `sent`. Every daemon listens (on
 * PostgreSQL each one hears every `sent`); a timer already set is kept, so they agree.
 */
export function scheduleFallbacks(svc: Services): () => void {
  const log = svc.log.child({ component: 'webchat' })
  return svc.live.subscribe((events) => {
    const timers = events.flatMap((e) => timersFor(svc, e))
    if (timers.length === 0) return
    svc.store.webchat.schedule(timers).catch((err: unknown) => {
      log.error({ err, count: timers.length }, 'setting web chat fallback timers failed')
    })
  })
}

function timersFor(svc: Services, e: LiveEvent): FallbackTimer[] {
  if (e.type !== 'message.status' || e.data.status !== 'sent') return []
  const channel = String(e.data.channel)
  const s = fallbackOf(svc, channel)
  if (!s) return []
  const base = {
    message_id: String(e.data.message_id),
    channel,
    contact_id: String(e.data.contact_id),
  }
  const at = Date.parse(e.created_at)
  const out: FallbackTimer[] = []
  if (s.fallback.push)
    out.push({ ...base, kind: 'push', due_at: new Date(at + PUSH_AFTER_MS).toISOString() })
  if (s.fallback.email && s.fallback.after !== null)
    out.push({ ...base, kind: 'email', due_at: new Date(at + s.fallback.after).toISOString() })
  return out
}

/** The scheduler singleton that runs due timers (DESIGN §10: one daemon at a time). */
export function fallbackRunner(svc: Services): SupervisedLoop {
  const log = svc.log.child({ component: 'webchat' })
  return new SupervisedLoop({
    name: 'webchat-fallback',
    log,
    health: svc.health,
    idleMs: CHECK_EVERY_MS,
    tick: async () => {
      const due = await svc.store.webchat.due(svc.now().toISOString(), BATCH)
      for (const t of due) {
        const record = await runTimer(svc, t)
        await svc.store.webchat.done(t, record)
        if (record?.error)
          log.info(
            { message_id: t.message_id, kind: t.kind, code: record.error.code },
            'fallback refused',
          )
      }
      return due.length === BATCH ? 'busy' : 'idle'
    },
  })
}

/** Runs one due timer: its record, or null when nothing was needed. */
async function runTimer(svc: Services, t: FallbackTimer): Promise<FallbackRecord | null> {
  const s = fallbackOf(svc, t.channel)
  const m = await svc.store.messages.get(t.message_id)
  if (!s || !m) return null
  if (t.kind === 'push') {
    if (m.status !== 'sent' || !s.fallback.push) return null
    const push = s.fallback.push
    const identities = await svc.store.identities.listByContact(m.contact_id)
    if (!identities.some((i) => i.channel === push && i.reachable)) return null
    return fallbackSend(svc, t, m, {
      contact_id: m.contact_id,
      channel: push,
      text: pushText(m),
    })
  }
  if (m.status === 'read' || m.status === 'failed' || m.status === 'cancelled') return null
  if (!s.fallback.email) return null
  return fallbackSend(svc, t, m, {
    contact_id: m.contact_id,
    channel: s.fallback.email,
    text: emailText(m, linkBack(svc, s)),
    email: { subject: 'You have a new message' },
  })
}

async function fallbackSend(
  svc: Services,
  t: FallbackTimer,
  m: MessageRecord,
  body: { contact_id: string; channel: string; text: string; email?: { subject: string } },
): Promise<FallbackRecord> {
  const at = svc.now().toISOString()
  try {
    const key = {
      key: `webchat-fallback:${t.message_id}:${t.kind}`,
      bodyHash: `webchat-fallback:${t.kind}`,
    }
    const out = await send(svc, body, FALLBACK_CALLER, key, { inThread: m.thread_id })
    return { kind: t.kind, at, message_id: String(out.body.id), error: null }
  } catch (e) {
    // A refusal of the fallback's own channel (no email, no subscription, opted out …): kept
    // with its code, never tried again. Anything else (the store) is thrown: the timer stays.
    if (!(e instanceof ApiError)) throw e
    return { kind: t.kind, at, message_id: null, error: { code: e.code, message: e.message } }
  }
}

function pushText(m: MessageRecord): string {
  const text = m.text?.trim() ?? ''
  if (text === '') return attachmentsLine(m)
  return text.length > PUSH_TEXT_MAX ? `${text.slice(0, PUSH_TEXT_MAX - 1)}…` : text
}

function attachmentsLine(m: MessageRecord): string {
  const n = m.attachments.length
  return n === 1 ? 'New message (1 attachment)' : `New message (${n} attachments)`
}

/** `fallback.link`, else the first allowed origin, else this gateway's public URL. */
function linkBack(svc: Services, s: WebchatSettings): string {
  return s.fallback.link ?? s.allowed_origins[0] ?? svc.config().server.public_url
}

/** The email copy: the message quoted, then where to answer. */
function emailText(m: Pick<MessageRecord, 'text' | 'attachments'>, link: string): string {
  const quoted = m.text ? m.text.split('\n').map((l) => `> ${l}`) : []
  const files = m.attachments.map((a) => `> [${a.filename}]`)
  return [
    'You have a new message in the chat:',
    '',
    ...quoted,
    ...files,
    '',
    `Open the chat to reply: ${link}`,
  ].join('\n')
}
