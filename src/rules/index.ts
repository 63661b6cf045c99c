/**
 * The pure policy module (DESIGN §5): `evaluate()` decides a send, `eligibility()` what may be
 * sent; every policy the gateway applies elsewhere (tags allowed on a thread, strict single open,
 * the unreplied cap's day, addresses, durations) is asked here, once. No I/O, no clock.
 */
export { evaluate, type RecipientInput } from './evaluate.js'
export { eligibility } from './eligibility.js'
export { hasAddress } from './address-check.js'
export { checkTagsAllowed } from './tag-check.js'
export { strictSingleOpen } from './thread-check.js'
export { countsAsUnreplied, startOfDay } from './unreplied-cap.js'
export { deferredUntil, isTimeZone, parseDays, parseHours } from './send-window.js'
export { describeNextOpening, isBusinessOpen, type BusinessHours } from './business-hours.js'
export type { Refusal } from './refusal.js'
export { normalizeAddress } from './address.js'
export { splitDisplayName } from './display-name.js'
export type * from './types.js'
