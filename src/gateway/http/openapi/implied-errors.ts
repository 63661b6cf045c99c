/**
 * The error answers a route gives by its kind alone, so no route has to list them: what the app's
 * middleware and `authenticate()` answer (app.ts, auth.ts) for its auth, body, query and path. Each
 * is a shared `components.responses` entry that names the catalog's codes of its status.
 */
import { errorCodesOf } from '../responses/index.js'
import { anyKey, type Route } from '../route.js'
import { componentRef, type Json } from './json-schema.js'

/** Names of the shared error responses, by status; another status is named `Error<status>`. */
const NAMES: Record<number, [name: string, reason: string]> = {
  400: ['BadRequest', 'The request is malformed; `details.field` names the field'],
  401: ['Unauthorized', 'No valid key, signature or link'],
  403: ['Forbidden', "The key's role may not use this route"],
  404: ['NotFound', 'No such resource (or route)'],
  405: ['MethodNotAllowed', 'The path exists with other methods'],
  409: ['Conflict', 'The request conflicts with the current state'],
  413: ['ContentTooLarge', 'The body exceeds `server.body_limit`'],
  422: ['UnprocessableContent', 'Refused by a rule or a check of the content'],
  429: ['TooManyRequests', 'The key exceeded `server.rate_limit`'],
  500: ['InternalError', 'A bug: the log has the details, the answer has none'],
  503: ['ServiceUnavailable', 'Not ready or stopping: retry shortly'],
}

export function errorResponseName(status: number): string {
  return NAMES[status]?.[0] ?? `Error${status}`
}

export function errorResponseRef(status: number): Json {
  return { $ref: `#/components/responses/${errorResponseName(status)}` }
}

/** The shared response of an error status, naming every catalog code it can carry. */
export function errorResponse(status: number): Json {
  const codes = errorCodesOf(status)
  const reason = NAMES[status]?.[1] ?? `Error ${status}`
  const out: Json = {
    description:
      codes.length > 0
        ? `${reason}. Codes with this status: ${codes.map((c) => `\`${c}\``).join(', ')}.`
        : `${reason}.`,
    content: { 'application/json': { schema: { $ref: componentRef('Error') } } },
  }
  if (status === 429) {
    out.headers = {
      'Retry-After': {
        description: 'Seconds to wait before the next request with this key.',
        schema: { type: 'integer', minimum: 1 },
      },
    }
  }
  return out
}

/** The error statuses `r` answers by its kind: auth, body, query, path and the daemon's state. */
export function impliedErrorStatuses(r: Route): number[] {
  const out = new Set<number>([500, 503]) // a bug; shutting down (and the store unavailable)
  const proofs = r.auth.kind === 'key' ? ['bearer'] : (r.auth.proofs ?? [])
  if (r.auth.kind === 'key' || r.verify || proofs.length > 0) out.add(401)
  if (proofs.includes('bearer')) out.add(429) // the rate limit is per key
  if (r.auth.kind === 'key' && r.auth.roles.length < anyKey.roles.length) out.add(403)
  if (r.body || r.query) out.add(400)
  if (r.method !== 'GET') out.add(413) // the body limit applies before any route
  if (/:\w+/.test(r.path)) out.add(404)
  return [...out].sort((a, b) => a - b)
}
