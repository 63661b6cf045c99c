/**
 * The response schemas of the v1 API, one file per resource, attached to each route in the routing
 * table (`responses: { 200: r.contact, ...r.errors(404) }`). `/v1/openapi.json` is built from them,
 * and a test validates real answers against that document, so they stay the truth.
 */
import type { z } from 'zod'
import type { RawResponse } from '../route.js'
import { errorBody } from './error.js'

export { bulk, bulkDryRun } from './bulk.js'
export { channelList, inboundAccepted, pushKey, statusAccepted, subscribed } from './channels.js'
export { components, nameOf } from './common.js'
export { contact, contactPage, eligibility, identity, timelinePage } from './contacts.js'
export { errorBody, errorCodesOf } from './error.js'
export { decision, message, messageAccepted, messagePage } from './messages.js'
export { health, openApiDocument, readiness, reloaded } from './system.js'
export { thread, threadEvent, threadPage, threadWithEvents } from './threads.js'
export { deliveryPage, deliveryReplayed } from './webhooks.js'
export { contactErased, contactExport, contactMerged, contactMoved } from './data-rights.js'

/**
 * Error statuses a route answers besides those every route of its kind does (the OpenAPI document
 * adds 401/403/429 for keys, 400/413 for a body, 404 for a path id, 500 and 503 by itself).
 */
export function errors(...statuses: number[]): Record<number, z.ZodType> {
  return Object.fromEntries(statuses.map((s) => [s, errorBody]))
}

/** A non-JSON answer: Prometheus text, an attachment's bytes, a platform's own reply. */
export function raw(mediaType: string, description: string): RawResponse {
  return { kind: 'raw', mediaType, description }
}

/** `/hooks/{type}/{name}`: the connector answers in the platform's terms, in plain text. */
export const platformReplies: Record<number, RawResponse> = {
  200: raw('text/plain', 'Taken (an empty body), or the handshake challenge echoed'),
  400: raw('text/plain', 'The body is not what the platform sends'),
  401: raw('text/plain', "The platform's signature or secret does not match"),
  403: raw('text/plain', 'The handshake token does not match'),
  404: raw('text/plain', 'No such channel, or it does not take webhooks'),
  405: raw('text/plain', 'The platform uses the other method'),
  500: raw('text/plain', 'It could not be stored; the platform retries'),
  503: raw('text/plain', 'The channel is not running'),
}
