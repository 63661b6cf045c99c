/**
 * The `send_window` channel rule (DESIGN §14), quiet hours: `{ hours: "08:00-21:00", timezone:
 * contact | <IANA zone>, days?: "mon-fri", fallback_timezone?: <IANA zone> }`, or null/false for
 * none. Hours, days and zones are checked here, so a bad one is a config error at its line with
 * its key path (`channels.sms.rules.send_window.hours`), never a surprise at send time.
 */
import { z } from 'zod'
import { isTimeZone, parseDays, parseHours, type SendWindow } from '../../rules/index.js'
import { strict } from './schema-parts.js'

/** With `timezone: contact`, the zone of a contact without one (unless `fallback_timezone`). */
const DEFAULT_FALLBACK_TIMEZONE = 'UTC'

const zone = (what: string) =>
  z.string().refine(isTimeZone, { message: `${what}: not an IANA time zone name (Europe/Berlin)` })

export const sendWindowSchema = z
  .union([
    strict({
      hours: z
        .string()
        .refine((s) => parseHours(s) !== null, {
          message:
            'hours: "HH:MM-HH:MM", 00:00 to 24:00, the end after the start (e.g. 08:00-21:00)',
        })
        .meta({ description: 'Local opening hours, "08:00-21:00" (end up to 24:00).' }),
      timezone: z.union([z.literal('contact'), zone('timezone')]).meta({
        description:
          "`contact` (the contact's `timezone` field) or an IANA zone name (Europe/Berlin).",
      }),
      days: z
        .string()
        .refine((s) => parseDays(s) !== null, {
          message: 'days: day names or ranges, e.g. mon-fri or mon-fri,sat',
        })
        .optional()
        .meta({ description: 'Local days the window opens, e.g. "mon-fri". Default: every day.' }),
      fallback_timezone: zone('fallback_timezone')
        .optional()
        .meta({
          description: `With timezone: contact, the zone of a contact without one. Default: ${DEFAULT_FALLBACK_TIMEZONE}.`,
        }),
    }),
    z.null(),
    z.literal(false),
  ])
  .meta({
    description:
      'Quiet hours: a send outside the window is deferred to its next opening (never dropped); a reply while the contact wrote < 1 h ago is not. null or false: none (the default).',
  })

export type RawSendWindow = z.output<typeof sendWindowSchema>

/** The validated rule as the rules read it (null: no window). */
export function resolveSendWindow(raw: RawSendWindow): SendWindow | null {
  if (raw === null || raw === false) return null
  const hours = parseHours(raw.hours)
  const days = parseDays(raw.days ?? 'sun-sat')
  if (!hours || !days) throw new Error('send_window reached resolve unvalidated')
  return {
    ...hours,
    days,
    timezone: raw.timezone,
    fallback: raw.fallback_timezone ?? DEFAULT_FALLBACK_TIMEZONE,
  }
}
