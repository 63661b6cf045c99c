/**
 * Business hours (DESIGN §14): `business_hours: { timezone, mon-fri: "09:00-17:30", sat: …,
 * holidays: [2026-12-24] }`. Whether the business is open at an instant, when it next opens, and
 * that opening as people read it (`{{next_open}}`). Pure: the clock is passed in. Day and hour
 * syntax and the DST handling are the send window's (`send-window.ts`): an opening is the first
 * instant whose local time is at or after the opening time — on the day the clocks skip it, the
 * moment they jump past it; on the day they repeat it, its first occurrence.
 */
import { firstInstantAtOrAfter, localParts, type Ymd } from './send-window.js'

/** Opening and closing of one day, minutes after local midnight (end up to 1440). */
export interface DayHours {
  start: number
  end: number
}

export interface BusinessHours {
  /** An IANA zone name. */
  timezone: string
  /** By local weekday, 0 = Sunday … 6 = Saturday; null: closed that day. */
  days: ReadonlyArray<DayHours | null>
  /** Local dates (`YYYY-MM-DD`) closed all day. */
  holidays: ReadonlySet<string>
}

/** How far ahead an opening is looked for: a year of holidays in a row is a config mistake. */
const SEARCH_DAYS = 400

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]

/**
 * `'open'` at `at`, else the next opening after it (`'never'`: no opening within a year).
 * @internal exported for its tests
 */
export function businessOpening(bh: BusinessHours, at: Date): 'open' | Date | 'never' {
  const t = at.getTime()
  const today = localParts(bh.timezone, t)
  for (let i = 0; i <= SEARCH_DAYS; i++) {
    const day = new Date(Date.UTC(today.y, today.mo - 1, today.d + i))
    const hours = bh.days[day.getUTCDay()]
    const ymd = { y: day.getUTCFullYear(), mo: day.getUTCMonth() + 1, d: day.getUTCDate() }
    if (!hours || bh.holidays.has(isoDate(ymd))) continue
    const open = firstInstantAtOrAfter(bh.timezone, ymd, hours.start)
    const close = firstInstantAtOrAfter(bh.timezone, ymd, hours.end)
    if (t < open) return new Date(open)
    if (t < close) return 'open'
  }
  return 'never'
}

/** Whether the business is open at `at`. */
export function isBusinessOpen(bh: BusinessHours, at: Date): boolean {
  return businessOpening(bh, at) === 'open'
}

/**
 * The next opening as `{{next_open}}` renders it, in the business's zone, 24-hour clock, English:
 * `now` while open; `today 14:00`; `tomorrow 09:00`; within the week `Monday 09:00`; later
 * `Monday 5 January 09:00` (after holidays). An empty string when it never opens.
 */
export function describeNextOpening(bh: BusinessHours, at: Date): string {
  const next = businessOpening(bh, at)
  if (next === 'open') return 'now'
  if (next === 'never') return ''
  const from = localParts(bh.timezone, at.getTime())
  const to = localParts(bh.timezone, next.getTime())
  const days = Math.round((dayNumber(to) - dayNumber(from)) / 86_400_000)
  const time = `${pad(to.h)}:${pad(to.mi)}`
  const weekday = WEEKDAYS[new Date(dayNumber(to)).getUTCDay()] ?? ''
  if (days === 0) return `today ${time}`
  if (days === 1) return `tomorrow ${time}`
  if (days < 7) return `${weekday} ${time}`
  return `${weekday} ${to.d} ${MONTHS[to.mo - 1] ?? ''} ${time}`
}

/** `YYYY-MM-DD` of a local date. */
function isoDate(d: Ymd): string {
  return `${String(d.y).padStart(4, '0')}-${pad(d.mo)}-${pad(d.d)}`
}

function dayNumber(d: Ymd): number {
  return Date.UTC(d.y, d.mo - 1, d.d)
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}
