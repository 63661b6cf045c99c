/**
 * The email part of step 8 (DESIGN §1.4): a sender mailbox from the channel's `senders`, a subject
 * (the request's, the template's title, the channel's `default_subject`), and valid bcc addresses.
 */
import { normalizeAddress } from './address.js'
import { fail, missingVariable, quoteList, type Failed } from './refusal.js'
import { renderText, type RenderContext } from './render.js'
import type { ChannelInfo, Decision, SendContent } from './types.js'

type RenderedEmail = NonNullable<NonNullable<Decision['rendered']>['email']>

/** Used when neither the request, the template nor the channel's `default_subject` gives one. */
const FALLBACK_SUBJECT = 'Message'

export type EmailOutcome = { ok: true; email: RenderedEmail } | Failed

/**
 * Resolves `from`, `subject` and `bcc` of an email send. `templateTitle` is the rendered title of
 * the template used, if any.
 */
export function checkEmail(
  channel: ChannelInfo,
  given: SendContent['email'],
  templateTitle: string | null,
  ctx: RenderContext,
): EmailOutcome {
  const { name, senders } = channel
  const sendersRule = `channels.${name}.senders`
  let from = senders[0] ?? ''
  const asked = given?.from?.trim() ?? ''
  if (asked !== '') {
    const known = senders.find((s) => s.toLowerCase() === asked.toLowerCase())
    // A webhook relay without `senders` leaves the choice of mailbox to the app behind it.
    const free = senders.length === 0 && channel.type === 'webhook'
    const parsed = free ? normalizeAddress('email', asked) : null
    if (known !== undefined) from = known
    else if (parsed?.ok === true) from = parsed.address
    else return senderUnknown(name, asked, senders, sendersRule)
  } else if (from === '' && channel.type === 'email') {
    return senderUnknown(name, null, senders, sendersRule)
  }

  let subject = oneLine(given?.subject ?? '')
  if (subject !== '') {
    const r = renderText(subject, ctx)
    if (!r.ok) return missingVariable(r.variable)
    subject = oneLine(r.text)
  }
  if (subject === '') subject = oneLine(templateTitle ?? '')
  if (subject === '') subject = oneLine(channel.defaultSubject ?? '') || FALLBACK_SUBJECT

  const bcc: string[] = []
  for (const raw of given?.bcc ?? []) {
    const r = normalizeAddress('email', raw)
    if (!r.ok) {
      return fail('address_invalid', `Bcc address "${raw}" is invalid: ${r.reason}.`, undefined, {
        field: 'email.bcc',
        address: raw,
        reason: r.reason,
      })
    }
    const address = r.address.toLowerCase()
    if (!bcc.includes(address)) bcc.push(address)
  }
  return { ok: true, email: { from, subject, bcc } }
}

function senderUnknown(
  name: string,
  asked: string | null,
  senders: readonly string[],
  rule: string,
): Failed {
  const message =
    senders.length === 0
      ? `Channel "${name}" has no sender mailbox: add one under senders in the config.`
      : `Sender "${asked ?? ''}" is not a sender mailbox of channel "${name}": use one of ` +
        `${quoteList(senders)}.`
  return fail('sender_unknown', message, rule, { from: asked, senders })
}

/** A subject is one header line: line breaks would end it (or inject another header). */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim()
}
