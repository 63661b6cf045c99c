/**
 * The pure policy module (DESIGN §5): `evaluate()` decides a send, `eligibility()` what may be
 * sent; every policy the gateway applies elsewhere (tags allowed on a thread, strict single open,
 * the unreplied cap's day, addresses, durations) is asked here, once. No I/O, no clock.
 */
export {
  evaluate,
  evaluateRecipient,
  type RecipientDecision,
  type RecipientInput,
} from './evaluate.js'
export { eligibility, type Eligibility } from './eligibility.js'
export { hasAddress } from './address-check.js'
export { checkTagsAllowed } from './tag-check.js'
export { strictSingleOpen } from './thread-check.js'
export { checkUnrepliedCap, countsAsUnreplied, startOfDay } from './unreplied-cap.js'
export type { Refusal } from './refusal.js'
export {
  listVariables,
  renderTemplate,
  renderText,
  templateVariables,
  type RenderContact,
  type RenderContext,
  type RenderResult,
  type VariableUse,
} from './render.js'
export {
  addressKindForType,
  normalizeAddress,
  type AddressKind,
  type AddressResult,
} from './address.js'
export { splitDisplayName, type DisplayNameParts } from './display-name.js'
export { DURATION_PATTERN, formatDuration, parseDuration } from './duration.js'
export { windowState, type WindowState } from './window.js'
export type * from './types.js'
