/**
 * `business_hours:` and `automations:` (DESIGN §14) as written, and what they resolve to. Day and
 * hour syntax is the send window's (`rules/send-window.ts`), so `mon-fri: "09:00-17:30"` reads as
 * `send_window.days` and `.hours` do and `25:00` is an error at its line. Checks across keys
 * (a known template, channel, agent; `after` with `thread.silent`; unique names) are in
 * `automation-checks.ts`.
 */
import { z } from 'zod'
import { isTimeZone, parseDays, parseHours, type BusinessHours } from '../../rules/index.js'
import type { DayHours } from '../../rules/business-hours.js'
import { parseDuration } from './duration.js'
import { duration, pattern, strict, templateName, text } from './schema-parts.js'

/** What starts an automation. */
export const AUTOMATION_TRIGGERS = [
  'message.inbound',
  'thread.silent',
  'webchat.opened',
  'thread.closed',
] as const

export type AutomationTrigger = (typeof AUTOMATION_TRIGGERS)[number]

const HOURS_RULE = '"HH:MM-HH:MM", 00:00 to 24:00, the end after the start (e.g. 09:00-17:30)'
const DATE = /^\d{4}-\d{2}-\d{2}$/

const hours = z
  .string()
  .refine((s) => parseHours(s) !== null, { message: `hours: ${HOURS_RULE}` })
  .meta({ description: 'Opening hours of these days, "09:00-17:30" (end up to 24:00).' })

export const businessHoursSchema = z
  .object({
    timezone: z
      .string()
      .refine(isTimeZone, { message: 'not an IANA time zone name (Europe/Berlin)' })
      .meta({ description: 'The business’s IANA zone: hours and holidays are local to it.' }),
    holidays: z
      .array(
        z.string().refine((s) => DATE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), {
          message: 'a holiday is a date, YYYY-MM-DD',
        }),
      )
      .optional()
      .meta({ description: 'Local dates closed all day (YYYY-MM-DD).' }),
  })
  .catchall(hours)
  .superRefine((bh, ctx) => {
    const seen = new Map<number, string>()
    for (const key of Object.keys(bh)) {
      if (key === 'timezone' || key === 'holidays') continue
      const days = parseDays(key)
      if (days === null) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `unknown key "${key}": a day (mon … sun), a range (mon-fri), timezone or holidays`,
        })
        continue
      }
      for (const d of days) {
        const first = seen.get(d)
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `${key}: a day is also in "${first}" (give each day once)`,
          })
          break
        }
        seen.set(d, key)
      }
    }
    if (seen.size === 0 && Object.keys(bh).length > 0) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give the hours of at least one day' })
    }
  })
  .meta({
    description:
      'When the business is open: { timezone, <days>: "HH:MM-HH:MM", holidays: [YYYY-MM-DD] }; day keys are mon … sun or ranges (mon-fri). Used by automations (`outside_business_hours`, `{{next_open}}`).',
  })

const automationName = pattern(
  /^[a-z0-9][a-z0-9_-]{0,63}$/,
  'an automation name is lowercase letters, digits, _ and -, up to 64, starting with a letter or digit',
  'The automation’s name: unique; its sends are authored {kind: automation, id: <name>}.',
)

export const automationSchema = strict({
  name: automationName,
  on: z.enum(AUTOMATION_TRIGGERS).meta({
    description:
      'The trigger: message.inbound, thread.silent (needs `after`), webchat.opened or thread.closed.',
  }),
  after: duration(
    'thread.silent: how long nobody wrote in the thread (an automation’s own send does not count).',
  ).optional(),
  if: strict({
    channel: z
      .array(z.string())
      .min(1)
      .optional()
      .meta({ description: 'Only on these channels (names).' }),
    tag: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .meta({ description: 'Only when the thread has any of these tags.' }),
    first_visit: z.boolean().optional().meta({
      description: 'The contact’s first ever visit or inbound message (true), or not (false).',
    }),
    outside_business_hours: z
      .boolean()
      .optional()
      .meta({ description: 'Outside business_hours (true) or inside them (false).' }),
    no_agent_online: z.boolean().optional().meta({
      description:
        'No agent online (true) or some agent online (false): a console stream open, or an agent-key API call in the last 5 minutes.',
    }),
  })
    .optional()
    .meta({ description: 'Conditions, all of which must hold.' }),
  send: strict({
    text: text(
      'The message; {{first_name|there}} and the contact’s fields as in any send, and {{next_open}}.',
    ).optional(),
    template: templateName.optional(),
  })
    .optional()
    .meta({ description: 'Send on the thread’s channel: give one of text and template.' }),
  tag: z
    .array(z.string().min(1).max(64))
    .min(1)
    .optional()
    .meta({ description: 'Tags added to the thread.' }),
  assign: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Assign the thread to this agent (an auth.keys id).' }),
  once_per: duration('At most once per contact in this period (e.g. 12h).').optional(),
})

export const automationsSchema = z.array(automationSchema).default([]).meta({
  description:
    'Automations (DESIGN §14): on a trigger, if the conditions hold, send / tag / assign. Run by the scheduler daemon.',
})

export type RawBusinessHours = z.output<typeof businessHoursSchema>
export type RawAutomation = z.output<typeof automationSchema>

/** An automation as the engine runs it. */
export interface Automation {
  name: string
  on: AutomationTrigger
  /** thread.silent: the silence before it fires (ms); null for other triggers. */
  afterMs: number | null
  if: {
    channel: readonly string[] | null
    tag: readonly string[] | null
    first_visit: boolean | null
    outside_business_hours: boolean | null
    no_agent_online: boolean | null
  }
  send: { text: string } | { template: string } | null
  tag: readonly string[]
  assign: string | null
  oncePerMs: number | null
}

/** The validated `business_hours`, or null when not given. */
export function resolveBusinessHours(raw: RawBusinessHours | undefined): BusinessHours | null {
  if (raw === undefined) return null
  const days: (DayHours | null)[] = [null, null, null, null, null, null, null]
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'timezone' || key === 'holidays' || typeof value !== 'string') continue
    const h = parseHours(value)
    const ds = parseDays(key)
    if (!h || !ds) throw new Error('business_hours reached resolve unvalidated')
    for (const d of ds) days[d] = h
  }
  return { timezone: raw.timezone, days, holidays: new Set(raw.holidays ?? []) }
}

export function resolveAutomations(raw: readonly RawAutomation[]): Automation[] {
  const ms = (d: string | undefined): number | null => (d === undefined ? null : parseDuration(d))
  return raw.map((a) => ({
    name: a.name,
    on: a.on,
    afterMs: a.on === 'thread.silent' ? ms(a.after) : null,
    if: {
      channel: a.if?.channel ? [...a.if.channel] : null,
      tag: a.if?.tag ? [...a.if.tag] : null,
      first_visit: a.if?.first_visit ?? null,
      outside_business_hours: a.if?.outside_business_hours ?? null,
      no_agent_online: a.if?.no_agent_online ?? null,
    },
    send:
      a.send?.text !== undefined
        ? { text: a.send.text }
        : a.send?.template !== undefined
          ? { template: a.send.template }
          : null,
    tag: [...(a.tag ?? [])],
    assign: a.assign ?? null,
    oncePerMs: ms(a.once_per),
  }))
}
