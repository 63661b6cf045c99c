/**
 * The pure policy module (DESIGN §5): `evaluate()` decides a send; `render`, `address` and
 * `duration` are the pieces the config loader, the inbound flow and the API reuse. No I/O, no
 * clock.
 */
export { evaluate } from './evaluate.js'
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
export { formatDuration, parseDuration } from './duration.js'
export { windowState, type WindowState } from './window.js'
export type * from './types.js'
