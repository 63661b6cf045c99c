/**
 * One route of the table as an OpenAPI operation: its id, tag, security, parameters, request body
 * and every answer — the route's own `responses` merged with the errors its kind implies.
 */
import { z } from 'zod'
import { errorBody, nameOf } from '../responses/index.js'
import { anyKey, type RawResponse, type Route } from '../route.js'
import { errorResponseRef, impliedErrorStatuses } from './implied-errors.js'
import { componentRef, inlineSchema, type Json } from './json-schema.js'
import { tagOf } from './tags.js'

/** `sendMessage` → `SendMessageRequest`: the component name of a route's request body. */
export function requestName(r: Route): string {
  return `${r.operationId.charAt(0).toUpperCase()}${r.operationId.slice(1)}Request`
}

export const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}')

export function operation(r: Route): Json {
  const op: Json = {
    operationId: r.operationId,
    summary: r.summary,
    description: whoMayCall(r),
    tags: [tagOf(r.path)],
    security: security(r),
    'x-omnigate-auth': r.auth.kind === 'key' ? { roles: r.auth.roles } : r.auth.kind,
  }
  const parameters = [
    ...[...r.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      description: pathParamDescription(r.path, m[1] ?? ''),
      schema: { type: 'string' },
    })),
    ...(r.query ? fields(r.query, 'query') : []),
    ...(r.headers ? fields(r.headers, 'header') : []),
  ]
  if (parameters.length > 0) op.parameters = parameters
  if (r.body) {
    op.requestBody = {
      // A body every field of which is optional may be left out (`{}` is assumed).
      required: !r.body.safeParse({}).success,
      content: { 'application/json': { schema: { $ref: componentRef(requestName(r)) } } },
    }
  }
  op.responses = responses(r)
  return op
}

function responses(r: Route): Json {
  const implied = new Set(impliedErrorStatuses(r))
  const statuses = [...new Set([...Object.keys(r.responses).map(Number), ...implied])]
  if (!statuses.some((s) => s >= 200 && s < 300)) {
    throw new Error(`${r.method} ${r.path}: responses has no 2xx`)
  }
  const out: Json = {}
  for (const status of statuses.sort((a, b) => a - b)) {
    const declared = r.responses[status]
    if (declared === undefined || declared === errorBody) {
      out[String(status)] = errorResponseRef(status)
      continue
    }
    const answer = isRaw(declared) ? raw(declared) : json(r, status, declared)
    if (implied.has(status)) {
      // The route's own answer, or the error every route of its kind can give at this status.
      const content = answer.content as Record<string, { schema: Json }>
      const mine = content['application/json']
      content['application/json'] = {
        schema: mine
          ? { anyOf: [mine.schema, { $ref: componentRef('Error') }] }
          : { $ref: componentRef('Error') },
      }
      answer.description = `${String(answer.description)} Or an error.`
    }
    out[String(status)] = answer
  }
  return out
}

function json(r: Route, status: number, schema: z.ZodType): Json {
  const name = nameOf(schema)
  if (!name) {
    throw new Error(`${r.method} ${r.path}: the ${status} schema has no name (see responses/)`)
  }
  const description = z.globalRegistry.get(schema)?.description ?? 'OK'
  return { description, content: { 'application/json': { schema: { $ref: componentRef(name) } } } }
}

function raw(x: RawResponse): Json {
  const schema = x.mediaType.startsWith('text/')
    ? { type: 'string' }
    : { type: 'string', format: 'binary' }
  return { description: x.description, content: { [x.mediaType]: { schema } } }
}

function isRaw(x: z.ZodType | RawResponse): x is RawResponse {
  return (x as RawResponse).kind === 'raw'
}

function fields(schema: z.ZodType, where: 'query' | 'header'): Json[] {
  const json = inlineSchema(schema, 'input') as { properties?: Json; required?: string[] }
  return Object.entries(json.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s as Json
    return {
      name,
      in: where,
      required: (json.required ?? []).includes(name),
      ...(description !== undefined ? { description } : {}),
      schema: rest,
    }
  })
}

/** `/v1/contacts/:id` → "The contact's id."; channel names and types by their own name. */
function pathParamDescription(path: string, name: string): string {
  if (name === 'name') return 'A channel name from the config.'
  if (name === 'type') return 'The channel type (telegram, line, whatsapp-cloud …).'
  const before = path.split('/').at(path.split('/').indexOf(`:${name}`) - 1) ?? ''
  return `The ${before === 'bulk' ? before : before.replace(/s$/, '')}'s id.`
}

function security(r: Route): Json[] {
  if (r.auth.kind === 'key') return [{ bearer: [] }]
  return (r.auth.proofs ?? []).map((p) => ({ [p]: [] }))
}

function whoMayCall(r: Route): string {
  if (r.auth.kind === 'key') {
    const roles = r.auth.roles.map((x) => `\`${x}\``)
    const list = `${roles.slice(0, -1).join(', ')}${roles.length > 1 ? ' or ' : ''}${roles.at(-1) ?? ''}`
    return r.auth.roles.length === anyKey.roles.length
      ? `Any API key (role ${list}).`
      : `An API key with the role ${list}.`
  }
  if (r.auth.kind === 'channel') {
    return r.auth.proofs
      ? "No API key: signed with the channel's secret."
      : "No API key: the channel checks the request itself (a `user_hash` your backend computes, or the platform's own signature)."
  }
  return r.auth.proofs ? 'An API key, or a signed link.' : 'No authentication.'
}
