import { describe, expect, it } from 'vitest'
import { eligibility, type Eligibility } from './eligibility.js'
import { evaluate } from './evaluate.js'
import {
  HOUR,
  ago,
  channel,
  contact,
  content,
  identity,
  input,
  thread,
} from './fixtures.test-helper.js'
import type { EvaluateInput } from './types.js'

const TG_ID = '123456789'
const PHONE = '+442079460958'
const tg = channel('telegram')
const wa = channel('whatsapp')
const capped = channel('whatsapp', { rules: { max_unreplied_per_day: 5 } })
const tagged = channel('telegram', { rules: { mandatory_tags: ['billing'] } })
const stranger = identity(PHONE, { first_inbound_at: null, last_inbound_at: null })

interface Row {
  name: string
  in: EvaluateInput
  want: Partial<Eligibility>
}

const rows: Row[] = [
  {
    name: 'allowed: a new thread',
    in: input(tg, { identity: identity(TG_ID) }),
    want: { can_send: true, allowed_kinds: ['text', 'attachments', 'template'], thread_id: null },
  },
  {
    name: 'allowed: into the open thread',
    in: input(tg, { identity: identity(TG_ID), openThreads: [thread('th_1', 'telegram')] }),
    want: { can_send: true, thread_id: 'th_1' },
  },
  {
    name: 'channel_disabled',
    in: input(channel('telegram', { enabled: false }), { identity: identity(TG_ID) }),
    want: { can_send: false, code: 'channel_disabled', allowed_kinds: [] },
  },
  { name: 'no_address', in: input(tg), want: { can_send: false, code: 'no_address' } },
  {
    name: 'address_invalid',
    in: input(tg, { identity: identity('ana') }),
    want: { can_send: false, code: 'address_invalid' },
  },
  {
    name: 'contact_blocked',
    in: input(tg, { identity: identity(TG_ID), contact: contact({ blocked: true }) }),
    want: { can_send: false, code: 'contact_blocked' },
  },
  {
    name: 'contact_unreachable',
    in: input(tg, { identity: identity(TG_ID, { reachable: false }) }),
    want: { can_send: false, code: 'contact_unreachable' },
  },
  {
    name: 'contact_first',
    in: input(tg, { identity: identity(TG_ID, { first_inbound_at: null }) }),
    want: { can_send: false, code: 'contact_first', rule: 'channels.telegram.rules.contact_first' },
  },
  {
    name: 'template_required: yes, with a template',
    in: input(wa, { identity: identity(PHONE, { last_inbound_at: ago(25 * HOUR) }) }),
    want: {
      can_send: true,
      code: 'template_required',
      allowed_kinds: ['template'],
      window_expires_at: ago(HOUR),
    },
  },
  {
    name: 'window_closed',
    in: input(channel('whatsapp', { rules: { window: { duration_ms: HOUR, after: 'deny' } } }), {
      identity: identity(PHONE, { last_inbound_at: ago(2 * HOUR) }),
    }),
    want: { can_send: false, code: 'window_closed', allowed_kinds: [] },
  },
  {
    name: 'unreplied_cap: counted, not hidden behind template_required',
    in: input(capped, { identity: stranger, unrepliedToday: 5 }),
    want: {
      can_send: false,
      code: 'unreplied_cap',
      allowed_kinds: [],
      details: { cap: 5, sent: 5 },
    },
  },
  {
    name: 'thread_conflict: names the thread in the way',
    in: input(tg, { identity: identity(TG_ID), openThreads: [thread('th_9', 'wa')] }),
    want: { can_send: false, code: 'thread_conflict', thread_id: 'th_9' },
  },
  {
    name: 'thread_conflict beats a closed window',
    in: input(wa, { identity: stranger, openThreads: [thread('th_9', 'telegram')] }),
    want: { can_send: false, code: 'thread_conflict' },
  },
  {
    name: 'tags_required: yes, with a tag',
    in: input(tagged, { identity: identity(TG_ID) }),
    want: { can_send: true, code: 'tags_required', rule: 'channels.telegram.rules.mandatory_tags' },
  },
]

describe('eligibility: one row per answer', () => {
  it.each(rows)('$name', ({ in: given, want }) => {
    expect(eligibility(given)).toMatchObject(want)
  })

  it('never looks at the content: any content gives the same answer', () => {
    for (const { in: given } of rows) {
      const other = { ...given, content: content({ text: null, tags: ['x'] }) }
      expect(eligibility(other)).toEqual(eligibility(given))
    }
  })

  it('agrees with evaluate(): a refusal is the send’s, a "yes" lets the right content through', () => {
    for (const { name, in: given } of rows) {
      const e = eligibility(given)
      const kind = e.allowed_kinds.includes('text')
        ? { text: 'Hi' }
        : { text: null, template: { name: 'hello', variables: {} } }
      const d = evaluate({ ...given, content: content({ ...kind, tags: ['billing'] }) })
      expect(d.allowed, name).toBe(e.can_send)
      if (!e.can_send) expect(d.code, name).toBe(e.code)
      if (e.can_send && e.code !== undefined) {
        // What the "yes, but" asks for is what a plain text without tags lacks.
        const lacking = evaluate({ ...given, content: content({ text: 'Hi', tags: [] }) })
        expect(lacking.code, name).toBe(e.code)
      }
    }
  })
})
