/**
 * A send's `send_at` (DESIGN §14), read once at request time: in the past (or now) it means "at
 * once", beyond a year it is refused, in between the message is held in the outbox until then.
 */
import { deferredUntil, type RecipientInput } from '../../rules/index.js'
import { ApiError } from '../errors.js'

/** How far ahead a send may be scheduled: past this it is almost surely a typo in the year. */
const SEND_AT_MAX_AHEAD_MS = 366 * 24 * 3600_000

/**
 * When the send goes out: null for "at once" (no `send_at`, or one not after `now`), else the
 * time. More than a year ahead → 422 `invalid_field` naming `send_at` (a well-formed time the
 * gateway will not hold; a malformed one is a 400 from the schema).
 */
export function resolveSendAt(sendAt: string | undefined, now: Date): Date | null {
  if (sendAt === undefined) return null
  const at = new Date(Date.parse(sendAt))
  if (at.getTime() <= now.getTime()) return null
  if (at.getTime() - now.getTime() > SEND_AT_MAX_AHEAD_MS) {
    throw new ApiError(
      422,
      'invalid_field',
      'send_at: at most a year ahead; check the date (a past time sends at once)',
      { field: 'send_at', max: new Date(now.getTime() + SEND_AT_MAX_AHEAD_MS).toISOString() },
    )
  }
  return at
}

/**
 * The facts a scheduled send is checked on at request time. What can only be known at `send_at`
 * is left to the dispatcher's check then: the customer-service window (the contact may write
 * before then and reopen it, or stop writing and let it close), so it is taken as open now.
 * Everything else — channel, address, blocked, unreachable, consent, contact-first, the daily
 * cap, the thread, tags and content — is decided now, on the facts of now, and refuses now.
 */
export function factsForLater(input: RecipientInput): RecipientInput {
  const { channel, identity } = input
  if (channel === null || channel.rules.window === null || identity === null) return input
  return { ...input, identity: { ...identity, last_inbound_at: input.now.toISOString() } }
}

/**
 * The channel's send window (DESIGN §14): when a send due at `at` must wait for the window's next
 * opening, that time; null when it may go at `at` (no window, inside it, or a reply while the
 * contact wrote less than an hour before).
 */
export function deferral(
  input: RecipientInput,
  contactTimezone: string | null | undefined,
  at: Date,
): Date | null {
  if (input.channel === null) return null
  return deferredUntil(input.channel, contactTimezone, input.identity?.last_inbound_at ?? null, at)
}
