import { describe, expect, it } from 'vitest'
import { evaluate } from './evaluate.js'
import {
  HOUR,
  NOW,
  ago,
  channel,
  contact,
  content,
  identity,
  input,
  thread,
} from './fixtures.test-helper.js'
import type { Decision, EvaluateInput, RefusalCode } from './types.js'

const TG_ID = '123456789'
const LINE_ID = `U${'0123456789abcdef'.repeat(2)}`
const PHONE = '+442079460958'
const tg = channel('telegram')
const wa = channel('whatsapp')
const line = channel('line')
const mail = channel('email')
const pdf = { filename: 'invoice.pdf', content_type: 'application/pdf', size: 1000 }
const photo = { filename: 'photo.jpg', content_type: 'image/jpeg', size: 1000 }
const refund = { name: 'refund_update', variables: { status: 'approved' } }

interface Row {
  name: string
  in: EvaluateInput
  want: Partial<Decision>
}

const refusals: (Row & { want: { code: RefusalCode } })[] = [
  {
    name: 'channel not in the config',
    in: input(null, { channelName: 'sms2' }),
    want: { allowed: false, code: 'channel_unknown', rule: 'channels.sms2', allowed_kinds: [] },
  },
  {
    name: 'channel disabled by a missing variable',
    in: input(channel('line', { enabled: false, disabledReason: '${LINE_TOKEN} is not set' })),
    want: { code: 'channel_disabled', rule: 'channels.line', allowed_kinds: [] },
  },
  {
    name: 'telegram contact without an identity',
    in: input(tg),
    want: { code: 'no_address', rule: 'channels.telegram.type', allowed_kinds: [] },
  },
  {
    name: 'whatsapp contact without identity or phone',
    in: input(wa, { contact: contact({ phone: null }) }),
    want: { code: 'no_address', rule: 'channels.wa.type' },
  },
  {
    name: 'whatsapp phone without the leading +',
    in: input(wa, { contact: contact({ phone: '4155552671' }) }),
    want: {
      code: 'address_invalid',
      rule: 'channels.wa.type',
      details: expect.objectContaining({ field: 'contact.phone', address: '4155552671' }),
    },
  },
  {
    name: 'email identity that is not an address',
    in: input(mail, { identity: identity('ana at example.com') }),
    want: {
      code: 'address_invalid',
      details: expect.objectContaining({ field: 'identity.address' }),
    },
  },
  {
    name: 'webhook relay with address: email given a phone',
    in: input(channel('webhook', { addressKind: 'email' }), { identity: identity(PHONE) }),
    want: { code: 'address_invalid', rule: 'channels.webhook.address' },
  },
  {
    name: 'blocked contact',
    in: input(tg, { contact: contact({ blocked: true }), identity: identity(TG_ID) }),
    want: { code: 'contact_blocked', allowed_kinds: [], address: TG_ID },
  },
  {
    name: 'identity marked unreachable',
    in: input(tg, { identity: identity(TG_ID, { reachable: false }) }),
    want: { code: 'contact_unreachable', allowed_kinds: [] },
  },
  {
    name: 'contact opted out on the channel (check 3b)',
    in: { ...input(tg, { identity: identity(TG_ID) }), optedOut: true },
    want: { code: 'opted_out', rule: 'channels.telegram.rules.opt_out', allowed_kinds: [] },
  },
  {
    name: 'telegram identity that never wrote',
    in: input(tg, { identity: identity(TG_ID, { first_inbound_at: null, last_inbound_at: null }) }),
    want: {
      code: 'contact_first',
      rule: 'channels.telegram.rules.contact_first',
      allowed_kinds: [],
    },
  },
  {
    name: 'brand-new contact on a contact-first relay',
    in: input(channel('webhook', { addressKind: 'phone', rules: { contact_first: true } }), {
      contact: contact({ id: null }),
    }),
    want: { code: 'contact_first', address: PHONE },
  },
  {
    name: 'text outside the whatsapp window',
    in: input(wa, { identity: identity(PHONE, { last_inbound_at: ago(25 * HOUR) }) }),
    want: {
      code: 'template_required',
      rule: 'channels.wa.rules.window',
      allowed_kinds: ['template'],
      window_expires_at: ago(HOUR),
    },
  },
  {
    name: 'template with an attachment outside the window',
    in: input(wa, { content: content({ template: refund, attachments: [photo] }) }),
    want: { code: 'template_required', window_expires_at: null },
  },
  {
    name: 'deny window closed',
    in: input(channel('whatsapp', { rules: { window: { duration_ms: HOUR, after: 'deny' } } }), {
      identity: identity(PHONE, { last_inbound_at: ago(2 * HOUR) }),
    }),
    want: { code: 'window_closed', rule: 'channels.wa.rules.window', allowed_kinds: [] },
  },
  {
    name: 'unreplied cap reached for someone who never wrote',
    in: input(channel('whatsapp', { rules: { window: null, max_unreplied_per_day: 20 } }), {
      unrepliedToday: 20,
    }),
    want: {
      code: 'unreplied_cap',
      rule: 'channels.wa.rules.max_unreplied_per_day',
      details: { cap: 20, sent: 20 },
      allowed_kinds: [],
    },
  },
  {
    name: 'open thread on another channel',
    in: input(tg, {
      identity: identity(TG_ID),
      openThreads: [thread('th_wa', 'wa', { assignee: 'alice' })],
    }),
    want: {
      code: 'thread_conflict',
      rule: 'channels.telegram.rules.single_open_thread',
      details: { thread_id: 'th_wa', assignee: 'alice', channel: 'wa' },
      allowed_kinds: [],
    },
  },
  {
    name: 'mandatory tags and none on the thread or the request',
    in: input(channel('line', { rules: { mandatory_tags: true } }), {
      identity: identity(LINE_ID),
    }),
    want: { code: 'tags_required', rule: 'channels.line.rules.mandatory_tags' },
  },
  {
    name: 'request tag outside the allowed list',
    in: input(channel('line', { rules: { mandatory_tags: ['billing', 'refund'] } }), {
      identity: identity(LINE_ID),
      content: content({ tags: ['billing', 'vip'] }),
    }),
    want: { code: 'tag_unknown', details: { tag: 'vip', allowed: ['billing', 'refund'] } },
  },
  {
    name: 'nothing to send',
    in: input(tg, { identity: identity(TG_ID), content: content({ text: '  ' }) }),
    want: { code: 'empty_message', allowed_kinds: ['text', 'attachments', 'template'] },
  },
  {
    name: 'text over the telegram limit',
    in: input(tg, { identity: identity(TG_ID), content: content({ text: 'x'.repeat(4097) }) }),
    want: { code: 'text_too_long', details: { max: 4096, length: 4097 } },
  },
  {
    name: 'pdf on LINE',
    in: input(line, { identity: identity(LINE_ID), content: content({ attachments: [pdf] }) }),
    want: {
      code: 'attachment_rejected',
      details: expect.objectContaining({ filename: 'invoice.pdf', reason: 'type' }),
    },
  },
  {
    name: 'unknown template',
    in: input(tg, {
      identity: identity(TG_ID),
      content: content({ template: { name: 'nope', variables: {} } }),
    }),
    want: { code: 'template_unknown', rule: 'templates.nope' },
  },
  {
    name: 'template variable without value or default',
    in: input(tg, {
      identity: identity(TG_ID),
      content: content({ template: { name: 'refund_update', variables: {} } }),
    }),
    want: {
      code: 'variable_missing',
      rule: 'templates.refund_update',
      details: { variable: 'status' },
    },
  },
  {
    name: 'email from a mailbox not in senders',
    in: input(mail, {
      content: content({ email: { from: 'ceo@example.com', subject: null, bcc: [] } }),
    }),
    want: { code: 'sender_unknown', rule: 'channels.email.senders' },
  },
]

describe('evaluate: one row per refusal code', () => {
  it.each(refusals)('$name → $want.code', ({ in: given, want }) => {
    expect(evaluate(given)).toMatchObject({ allowed: false, ...want })
  })

  it('covers every RefusalCode', () => {
    // A Record forces this list to name every code: adding one to types.ts breaks the build here.
    const all: Record<RefusalCode, true> = {
      channel_unknown: true,
      channel_disabled: true,
      no_address: true,
      address_invalid: true,
      contact_blocked: true,
      contact_unreachable: true,
      opted_out: true,
      contact_first: true,
      template_required: true,
      window_closed: true,
      unreplied_cap: true,
      thread_conflict: true,
      tags_required: true,
      tag_unknown: true,
      empty_message: true,
      text_too_long: true,
      attachment_rejected: true,
      template_unknown: true,
      variable_missing: true,
      sender_unknown: true,
    }
    expect(new Set(refusals.map((r) => r.want.code))).toEqual(new Set(Object.keys(all)))
  })

  it('answers with the first failing check', () => {
    const d = evaluate(
      input(channel('telegram', { enabled: false }), {
        contact: contact({ blocked: true }),
        content: content({ text: null }),
      }),
    )
    expect(d.code).toBe('channel_disabled')
    const e = evaluate(
      input(tg, {
        contact: contact({ blocked: true }),
        identity: identity(TG_ID, { first_inbound_at: null, reachable: false }),
      }),
    )
    expect(e.code).toBe('contact_blocked')
  })

  it('checks an opt-out after blocked and before contact-first (3 < 3b < 4)', () => {
    const blocked = input(tg, { contact: contact({ blocked: true }), identity: identity(TG_ID) })
    expect(evaluate({ ...blocked, optedOut: true }).code).toBe('contact_blocked')
    const silent = input(tg, { identity: identity(TG_ID, { first_inbound_at: null }) })
    expect(evaluate({ ...silent, optedOut: true }).code).toBe('opted_out')
    expect(evaluate({ ...silent, optedOut: false }).code).toBe('contact_first')
  })
})

const edges: Row[] = [
  {
    name: 'window exactly at expiry is closed',
    in: input(wa, { identity: identity(PHONE, { last_inbound_at: ago(24 * HOUR) }) }),
    want: { allowed: false, code: 'template_required', window_expires_at: NOW.toISOString() },
  },
  {
    name: 'window 1 ms before expiry is open',
    in: input(wa, { identity: identity(PHONE, { last_inbound_at: ago(24 * HOUR - 1) }) }),
    want: {
      allowed: true,
      window_expires_at: new Date(NOW.getTime() + 1).toISOString(),
      allowed_kinds: ['text', 'attachments', 'template'],
      rendered: { text: 'Hello Ana', template: null, email: null },
    },
  },
  {
    name: 'templates_only passes a template outside the window',
    in: input(wa, {
      identity: identity(PHONE, { last_inbound_at: ago(30 * HOUR) }),
      content: content({ text: null, template: refund }),
    }),
    want: {
      allowed: true,
      allowed_kinds: ['template'],
      rendered: {
        text: 'Refund update\n\nHi Ana, your refund is approved.\n\n— Example Support',
        template: { name: 'refund_update', variables: { first_name: 'Ana', status: 'approved' } },
        email: null,
      },
    },
  },
  {
    name: 'deny refuses even a template',
    in: input(channel('whatsapp', { rules: { window: { duration_ms: HOUR, after: 'deny' } } }), {
      content: content({ template: refund }),
    }),
    want: { allowed: false, code: 'window_closed', window_expires_at: null },
  },
  {
    name: 'a snoozed thread on another channel counts as open',
    in: input(tg, {
      identity: identity(TG_ID),
      openThreads: [thread('th_wa', 'wa', { status: 'snoozed' })],
    }),
    want: {
      code: 'thread_conflict',
      details: { thread_id: 'th_wa', assignee: null, channel: 'wa' },
    },
  },
  {
    name: 'email (allow_with_open_thread) never conflicts and creates a thread',
    in: input(mail, { openThreads: [thread('th_wa', 'wa', { assignee: 'bob' })] }),
    want: { allowed: true, reuseThreadId: null, address: 'ana@example.com' },
  },
  {
    name: 'email reuses its own open thread',
    in: input(mail, { openThreads: [thread('th_wa', 'wa'), thread('th_mail', 'email')] }),
    want: { allowed: true, reuseThreadId: 'th_mail' },
  },
  {
    name: 'email targeting a closed thread beside another active one reopens it',
    in: input(mail, {
      openThreads: [thread('th_wa', 'wa')],
      targetThread: thread('th_old', 'email', { status: 'closed' }),
    }),
    want: { allowed: true, reuseThreadId: null },
  },
  {
    name: 'single_open_thread off: no conflict across channels',
    in: input(channel('telegram', { rules: { single_open_thread: false } }), {
      identity: identity(TG_ID),
      openThreads: [thread('th_wa', 'wa')],
    }),
    want: { allowed: true, reuseThreadId: null },
  },
  {
    name: 'target thread that is the only active one is reused',
    in: input(tg, {
      identity: identity(TG_ID),
      openThreads: [thread('th_1', 'telegram', { status: 'snoozed' })],
      targetThread: thread('th_1', 'telegram', { status: 'snoozed' }),
    }),
    want: { allowed: true, reuseThreadId: 'th_1' },
  },
  {
    name: 'closed target thread with no other active one is reopened',
    in: input(tg, {
      identity: identity(TG_ID),
      targetThread: thread('th_old', 'telegram', { status: 'closed' }),
    }),
    want: { allowed: true, reuseThreadId: null },
  },
  {
    name: 'closed target thread while another is active conflicts',
    in: input(tg, {
      identity: identity(TG_ID),
      openThreads: [thread('th_1', 'telegram', { assignee: 'alice' })],
      targetThread: thread('th_old', 'telegram', { status: 'closed' }),
    }),
    want: {
      code: 'thread_conflict',
      details: { thread_id: 'th_1', assignee: 'alice', channel: 'telegram' },
    },
  },
  {
    name: 'open thread on the same channel is reused',
    in: input(tg, { identity: identity(TG_ID), openThreads: [thread('th_1', 'telegram')] }),
    want: { allowed: true, reuseThreadId: 'th_1' },
  },
  {
    name: 'mandatory tags satisfied by the reused thread',
    in: input(channel('telegram', { rules: { mandatory_tags: ['billing'] } }), {
      identity: identity(TG_ID),
      openThreads: [thread('th_1', 'telegram', { tags: ['billing'] })],
    }),
    want: { allowed: true, reuseThreadId: 'th_1' },
  },
  {
    name: 'mandatory tags satisfied by the target thread',
    in: input(channel('telegram', { rules: { mandatory_tags: true } }), {
      identity: identity(TG_ID),
      targetThread: thread('th_old', 'telegram', { status: 'closed', tags: ['x'] }),
    }),
    want: { allowed: true },
  },
  {
    name: 'mandatory tags satisfied by the request',
    in: input(channel('telegram', { rules: { mandatory_tags: ['billing', 'refund'] } }), {
      identity: identity(TG_ID),
      content: content({ tags: ['refund'] }),
    }),
    want: { allowed: true },
  },
  {
    name: 'address derived from contact.phone, normalised to E.164',
    in: input(wa, {
      contact: contact({ phone: '+44 (20) 7946-0958' }),
      content: content({ text: null, template: refund }),
    }),
    want: { allowed: true, address: PHONE, window_expires_at: null, allowed_kinds: ['template'] },
  },
  {
    name: 'address derived from contact.email, lowercased whole',
    in: input(mail, { contact: contact({ email: 'Ana.Lima@Example.COM' }) }),
    want: { allowed: true, address: 'ana.lima@example.com' },
  },
  {
    name: 'webhook relay with address: phone derives from contact.phone',
    in: input(channel('webhook', { addressKind: 'phone' }), {}),
    want: { allowed: true, address: PHONE },
  },
  {
    name: 'identity address wins over contact fields',
    in: input(wa, { identity: identity('+14155552671'), contact: contact({ phone: PHONE }) }),
    want: { allowed: true, address: '+14155552671' },
  },
  {
    name: 'brand-new contact (id null) on a channel without contact-first',
    in: input(line, {
      contact: contact({ id: null, first_name: null }),
      identity: identity(LINE_ID, { first_inbound_at: null, last_inbound_at: null }),
      content: content({ text: 'Hi {{first_name|there}}' }),
    }),
    want: {
      allowed: true,
      reuseThreadId: null,
      rendered: { text: 'Hi there', template: null, email: null },
    },
  },
  {
    name: 'unreplied cap not reached',
    in: input(channel('whatsapp', { rules: { window: null, max_unreplied_per_day: 20 } }), {
      unrepliedToday: 19,
    }),
    want: { allowed: true },
  },
  {
    name: 'unreplied cap ignores people who wrote',
    in: input(channel('whatsapp', { rules: { window: null, max_unreplied_per_day: 20 } }), {
      identity: identity(PHONE),
      unrepliedToday: 50,
    }),
    want: { allowed: true },
  },
  {
    name: 'variable default applies to an empty contact field',
    in: input(tg, {
      identity: identity(TG_ID),
      contact: contact({ first_name: '' }),
      content: content({ text: null, template: { name: 'hello', variables: {} } }),
    }),
    want: {
      allowed: true,
      rendered: {
        text: 'Hello there',
        template: { name: 'hello', variables: { first_name: 'there' } },
        email: null,
      },
    },
  },
  {
    name: 'missing variable in free text refuses',
    in: input(tg, {
      identity: identity(TG_ID),
      content: content({ text: 'Your order {{order_id}}' }),
    }),
    want: { allowed: false, code: 'variable_missing', details: { variable: 'order_id' } },
  },
  {
    name: 'request variables fill free text',
    in: input(tg, {
      identity: identity(TG_ID),
      content: content({ text: 'Your order {{order_id}}', variables: { order_id: 'A-17' } }),
    }),
    want: { allowed: true, rendered: { text: 'Your order A-17', template: null, email: null } },
  },
  {
    name: 'caption limit applies with attachments',
    in: input(tg, {
      identity: identity(TG_ID),
      content: content({ text: 'x'.repeat(1025), attachments: [photo] }),
    }),
    want: { allowed: false, code: 'text_too_long', details: { max: 1024, length: 1025 } },
  },
  {
    name: 'caption-sized text alone is fine',
    in: input(tg, { identity: identity(TG_ID), content: content({ text: 'x'.repeat(1025) }) }),
    want: { allowed: true },
  },
  {
    name: 'LINE has no caption limit (text and files go separately)',
    in: input(line, {
      identity: identity(LINE_ID),
      content: content({ text: 'x'.repeat(1025), attachments: [photo] }),
    }),
    want: { allowed: true },
  },
  {
    name: 'attachments alone',
    in: input(tg, {
      identity: identity(TG_ID),
      content: content({ text: null, attachments: [pdf] }),
    }),
    want: { allowed: true, rendered: { text: null, template: null, email: null } },
  },
  {
    name: 'too many attachments',
    in: input(line, {
      identity: identity(LINE_ID),
      content: content({ attachments: Array(5).fill(photo) }),
    }),
    want: {
      code: 'attachment_rejected',
      details: expect.objectContaining({ reason: 'too_many', max: 4 }),
    },
  },
  {
    name: 'attachment over the size limit',
    in: input(line, {
      identity: identity(LINE_ID),
      content: content({ attachments: [{ ...photo, size: 10 * 1024 * 1024 + 1 }] }),
    }),
    want: {
      code: 'attachment_rejected',
      details: expect.objectContaining({ filename: 'photo.jpg', reason: 'too_large' }),
    },
  },
  {
    name: 'web push takes no attachments',
    in: input(channel('webpush'), {
      identity: identity('{"endpoint":"https://push.example/1"}'),
      content: content({ attachments: [photo] }),
    }),
    want: { code: 'attachment_rejected', allowed_kinds: ['text', 'template'] },
  },
]

describe('evaluate: edges', () => {
  it.each(edges)('$name', ({ in: given, want }) => {
    expect(evaluate(given)).toMatchObject(want)
  })
})

const ALL: Decision['allowed_kinds'] = ['text', 'attachments', 'template']

const kinds: { name: string; in: EvaluateInput; kinds: Decision['allowed_kinds'] }[] = [
  { name: 'no window', in: input(tg, { identity: identity(TG_ID) }), kinds: ALL },
  { name: 'window open', in: input(wa, { identity: identity(PHONE) }), kinds: ALL },
  { name: 'window closed, templates only', in: input(wa), kinds: ['template'] },
  {
    name: 'window closed, templates only, no templates configured',
    in: input(wa, { templates: {} }),
    kinds: [],
  },
  {
    name: 'window closed, deny',
    in: input(channel('whatsapp', { rules: { window: { duration_ms: HOUR, after: 'deny' } } })),
    kinds: [],
  },
  {
    name: 'no attachments on the channel',
    in: input(channel('webpush'), { identity: identity('sub') }),
    kinds: ['text', 'template'],
  },
  { name: 'refused at step 1', in: input(null), kinds: [] },
  { name: 'refused at step 2', in: input(tg), kinds: [] },
  {
    name: 'refused at step 3',
    in: input(tg, { contact: contact({ blocked: true }), identity: identity(TG_ID) }),
    kinds: [],
  },
  {
    name: 'refused at step 4',
    in: input(tg, { identity: identity(TG_ID, { first_inbound_at: null }) }),
    kinds: [],
  },
  {
    name: 'refused for content only (eligibility with an empty draft)',
    in: input(tg, { identity: identity(TG_ID), content: content({ text: null }) }),
    kinds: ALL,
  },
]

describe('evaluate: allowed_kinds', () => {
  it.each(kinds)('$name', ({ in: given, kinds: want }) => {
    expect(evaluate(given).allowed_kinds).toEqual(want)
  })

  it('omits window_expires_at on channels without a window', () => {
    const d = evaluate(input(tg, { identity: identity(TG_ID) }))
    expect(d.allowed).toBe(true)
    expect(d).not.toHaveProperty('window_expires_at')
  })
})

const subject = (s: string): unknown => expect.objectContaining({ subject: s })

const emails: Row[] = [
  {
    name: 'defaults: first sender, default subject fallback, no bcc',
    in: input(mail),
    want: {
      allowed: true,
      rendered: {
        text: 'Hello Ana',
        template: null,
        email: { from: 'support@example.com', subject: 'Message', bcc: [] },
      },
    },
  },
  {
    name: "the channel's default_subject",
    in: input(channel('email', { defaultSubject: 'From Example' })),
    want: { rendered: expect.objectContaining({ email: subject('From Example') }) },
  },
  {
    name: "a template's title becomes the subject",
    in: input(mail, { content: content({ template: refund }) }),
    want: { rendered: expect.objectContaining({ email: subject('Refund update') }) },
  },
  {
    name: 'given sender (any case), rendered subject, bcc lowercased and deduplicated',
    in: input(mail, {
      content: content({
        email: {
          from: 'Billing@example.com',
          subject: 'For {{first_name}}\r\nBcc: evil@x.com',
          bcc: ['Boss@Example.com', 'boss@example.com'],
        },
      }),
    }),
    want: {
      rendered: expect.objectContaining({
        email: {
          from: 'billing@example.com',
          subject: 'For Ana Bcc: evil@x.com',
          bcc: ['boss@example.com'],
        },
      }),
    },
  },
  {
    name: 'invalid bcc',
    in: input(mail, { content: content({ email: { from: null, subject: null, bcc: ['boss@'] } }) }),
    want: {
      allowed: false,
      code: 'address_invalid',
      details: expect.objectContaining({ field: 'email.bcc', address: 'boss@' }),
    },
  },
  {
    name: 'subject with a missing variable',
    in: input(mail, {
      content: content({ email: { from: null, subject: 'Order {{order_id}}', bcc: [] } }),
    }),
    want: { allowed: false, code: 'variable_missing', details: { variable: 'order_id' } },
  },
  {
    name: 'email channel without senders',
    in: input(channel('email', { senders: [] })),
    want: { allowed: false, code: 'sender_unknown' },
  },
  {
    name: 'email options are ignored on other channels',
    in: input(tg, {
      identity: identity(TG_ID),
      content: content({ email: { from: 'x@y.com', subject: 's', bcc: [] } }),
    }),
    want: { allowed: true, rendered: { text: 'Hello Ana', template: null, email: null } },
  },
]

describe('evaluate: email', () => {
  it.each(emails)('$name', ({ in: given, want }) => {
    expect(evaluate(given)).toMatchObject(want)
  })
})
