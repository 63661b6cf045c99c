/**
 * Send windows, "quiet hours" (DESIGN §14): a channel rule `send_window: { hours: "08:00-21:00",
 * timezone: contact | <IANA zone>, days?: "mon-fri" }`. A send outside the window is deferred to
 * its next opening, never dropped; a reply inside a live conversation (the contact wrote less than
 * an hour ago) is not deferred. Pure: the clock is passed in. Local times come from
 * `Intl.DateTimeFormat` (the ICU time zone data Node ships), so DST follows the zone's rules with
 * no dependency: a window is open at an instant when that instant's local weekday is an allowed
 * day and its local time of day is within the hours. Its opening is therefore the first instant
 * that holds — on a day the clocks skip the opening hour, the moment they jump past it; on a day
 * they repeat it, its first occurrence.
 */
import type { ChannelInfo } from './types.js'

/** A channel's send window, as the config resolves it. */
export interface SendWindow {
  /** Opening and closing, minutes after local midnight (end up to 1440, after start). */
  start: number
  end: number
  /** Allowed local weekdays, 0 = Sunday … 6 = Saturday. */
  days: readonly number[]
  /** An IANA zone, or `contact`: the contact's own `timezone`, else `fallback`. */
  timezone: string
  /** The zone used with `timezone: contact` for a contact without one. */
  fallback: string
}

/** A reply inside a live conversation (the contact wrote this recently) is never deferred. */
const LIVE_CONVERSATION_MS = 3600_000

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

/** `"08:00-21:00"` → minutes, or null when malformed (`25:00`, an end not after the start). */
export function parseHours(s: string): { start: number; end: number } | null {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(s.trim())
  if (!m) return null
  const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number]
  if (h1 > 23 || m1 > 59 || h2 > 24 || m2 > 59 || (h2 === 24 && m2 !== 0)) return null
  const start = h1 * 60 + m1
  const end = h2 * 60 + m2
  return end > start ? { start, end } : null
}

/** `"mon-fri"`, `"sat,sun"`, `"mon-wed,fri"` → weekday numbers, or null when malformed. */
export function parseDays(s: string): number[] | null {
  const out = new Set<number>()
  for (const part of s.toLowerCase().split(',')) {
    const [a, b, extra] = part.trim().split('-')
    const from = DAY_NAMES.indexOf(a as (typeof DAY_NAMES)[number])
    const to = b === undefined ? from : DAY_NAMES.indexOf(b as (typeof DAY_NAMES)[number])
    if (from < 0 || to < 0 || extra !== undefined) return null
    // A range may wrap the week: fri-mon is fri, sat, sun, mon.
    for (let d = from; ; d = (d + 1) % 7) {
      out.add(d)
      if (d === to) break
    }
  }
  return [...out].sort()
}

/** Whether `zone` is an IANA zone name the runtime knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  // Offsets (`+01:00`) are accepted by newer ICU but follow no DST rules: a name is required.
  if (!/^[A-Za-z]/.test(zone)) return false
  try {
    formatter(zone)
    return true
  } catch {
    return false
  }
}

/**
 * When a send at `at` may go out on this channel: null for "now" (no window, inside it, or a reply
 * in a live conversation), else the window's next opening.
 */
export function deferredUntil(
  channel: ChannelInfo,
  contactTimezone: string | null | undefined,
  lastInboundAt: string | null,
  at: Date,
): Date | null {
  const w = channel.rules.send_window
  if (!w) return null
  const last = lastInboundAt === null ? Number.NaN : Date.parse(lastInboundAt)
  if (at.getTime() - last < LIVE_CONVERSATION_MS) return null
  return nextOpening(w, zoneOf(w, contactTimezone), at)
}

/**
 * The zone a window is read in for this contact.
 * @internal exported for its tests
 */
export function zoneOf(w: SendWindow, contactTimezone: string | null | undefined): string {
  if (w.timezone !== 'contact') return w.timezone
  return contactTimezone && isTimeZone(contactTimezone) ? contactTimezone : w.fallback
}

/**
 * null when the window is open at `at`, else the first instant after `at` when it is.
 * @internal exported for its tests
 */
export function nextOpening(w: SendWindow, zone: string, at: Date): Date | null {
  const t = at.getTime()
  const today = localParts(zone, t)
  // Eight local days cover any set of allowed days from any point of the week.
  for (let i = 0; i <= 8; i++) {
    const day = new Date(Date.UTC(today.y, today.mo - 1, today.d + i))
    if (!w.days.includes(day.getUTCDay())) continue
    const ymd = { y: day.getUTCFullYear(), mo: day.getUTCMonth() + 1, d: day.getUTCDate() }
    const open = firstInstantAtOrAfter(zone, ymd, w.start)
    const close = firstInstantAtOrAfter(zone, ymd, w.end)
    if (t < open) return new Date(open)
    if (t < close) return null
  }
  return null // no allowed day: the config refuses that, so never reached
}

/** A local calendar date. */
export interface Ymd {
  y: number
  mo: number
  d: number
}

/**
 * The first instant whose local date and time in `zone` is at or after `minutes` on `ymd`: the
 * wall time itself, its first occurrence when the clocks repeat it, the end of the gap when they
 * skip it. Business hours (`business-hours.ts`) read their openings the same way.
 */
export function firstInstantAtOrAfter(zone: string, ymd: Ymd, minutes: number): number {
  const wall = Date.UTC(ymd.y, ymd.mo - 1, ymd.d) + minutes * MINUTE
  // The zone's offsets a day either side cover any transition on that day.
  const offsets = new Set([offsetAt(zone, wall - DAY), offsetAt(zone, wall + DAY)])
  const exact = [...offsets]
    .map((o) => wall - o)
    .filter((t) => localWall(zone, t) === wall)
    .sort((a, b) => a - b)
  if (exact[0] !== undefined) return exact[0]
  // In a gap: search the minute the local clock first reaches past `wall`.
  let lo = Math.min(...[...offsets].map((o) => wall - o))
  let hi = Math.max(...[...offsets].map((o) => wall - o))
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE
    if (localWall(zone, mid) >= wall) hi = mid
    else lo = mid
  }
  return localWall(zone, lo) >= wall ? lo : hi
}

/** The local wall time at instant `t` in `zone`, as if it were UTC (ms). */
function localWall(zone: string, t: number): number {
  const p = localParts(zone, t)
  return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s)
}

function offsetAt(zone: string, t: number): number {
  const whole = t - (((t % 1000) + 1000) % 1000)
  return localWall(zone, whole) - whole
}

/** The local date and time of instant `t` in `zone`. */
export function localParts(zone: string, t: number): Ymd & { h: number; mi: number; s: number } {
  const parts: Record<string, number> = {}
  for (const p of formatter(zone).formatToParts(t)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value)
  }
  return {
    y: parts.year ?? 0,
    mo: parts.month ?? 0,
    d: parts.day ?? 0,
    h: (parts.hour ?? 0) % 24,
    mi: parts.minute ?? 0,
    s: parts.second ?? 0,
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(zone, f)
  }
  return f
}
