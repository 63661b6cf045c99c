/**
 * `/v1/openapi.json`: an OpenAPI 3.1 document generated from the routing table — its request
 * schemas (`schemas.ts`) and response schemas (`responses/`) — so it cannot drift from what the
 * API validates and answers. A client generated from it (openapi-typescript) gets a type for every
 * answer and every error; `test/openapi/` checks real answers against it and lints it.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { z } from 'zod'
import { components } from '../responses/index.js'
import type { Route } from '../route.js'
import { errorResponse, errorResponseName } from './implied-errors.js'
import { componentSchemas, type Json } from './json-schema.js'
import { openApiPath, operation, requestName } from './operation.js'
import { tagList, tagOf } from './tags.js'

export interface OpenApiOptions {
  /** `server.public_url`: where clients reach the API. */
  publicUrl: string
}

const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key from `auth.keys` (`omnigate keys new`): `Authorization: Bearer <key>`.',
  },
  webhookSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Omnigate-Signature',
    description:
      "`sha256=<hex HMAC-SHA256(channel secret, raw body)>`: the webhook channel's relay signs each request with the channel's `secret`.",
  },
  signedLink: {
    type: 'apiKey',
    in: 'query',
    name: 'sig',
    description:
      'Attachment links we send out carry `exp` (unix seconds) and `sig`; they need no key until `exp`.',
  },
} as const

const cache = new WeakMap<readonly Route[], Map<string, Json>>()

/** The document for `table`, built once per table and public URL. */
export function openapi(table: readonly Route[], opts: OpenApiOptions): Json {
  const byUrl = cache.get(table) ?? new Map<string, Json>()
  cache.set(table, byUrl)
  const hit = byUrl.get(opts.publicUrl)
  if (hit) return hit
  const doc = build(table, opts)
  byUrl.set(opts.publicUrl, doc)
  return doc
}

function build(table: readonly Route[], opts: OpenApiOptions): Json {
  const paths: Record<string, Json> = {}
  const ids = new Set<string>()
  const requests = new Map<string, z.ZodType>()
  for (const r of table) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(r.operationId) || ids.has(r.operationId)) {
      throw new Error(
        `${r.method} ${r.path}: operationId ${r.operationId} is not camelCase or not unique`,
      )
    }
    ids.add(r.operationId)
    if (r.body) requests.set(requestName(r), r.body)
    ;(paths[openApiPath(r.path)] ??= {})[r.method.toLowerCase()] = operation(r)
  }
  const errorResponses = Object.fromEntries(
    usedErrorResponses(paths).map((s) => [errorResponseName(s), errorResponse(s)]),
  )
  const schemas = {
    ...componentSchemas(components, 'output'),
    ...componentSchemas(requests, 'input'),
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Omnigate API',
      version: packageVersion(),
      summary: 'Self-hosted omnichannel messaging gateway: one HTTP API for every channel.',
      description:
        'JSON in and out. Errors are `{"error": {"code", "message", "rule"?, "details"?}}` with a stable `code`. Answers may gain fields: ignore those you do not know.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: opts.publicUrl.replace(/\/+$/, ''), description: '`server.public_url`' }],
    security: [{ bearer: [] }],
    tags: tagList(new Set(table.map((r) => tagOf(r.path)))),
    paths,
    components: {
      securitySchemes: SECURITY_SCHEMES,
      schemas: reachable(schemas, [paths, errorResponses]),
      responses: errorResponses,
    },
  }
}

/**
 * The schemas the operations refer to, directly or through other schemas: a response schema no
 * route uses yet (one made ready for a route on its way) stays out of the document.
 */
function reachable(schemas: Record<string, Json>, roots: unknown[]): Record<string, Json> {
  const seen = new Set<string>()
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (node === null || typeof node !== 'object') return
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
        const name = v.slice('#/components/schemas/'.length)
        if (!seen.has(name)) {
          seen.add(name)
          visit(schemas[name])
        }
      } else visit(v)
    }
  }
  roots.forEach(visit)
  return Object.fromEntries(Object.entries(schemas).filter(([name]) => seen.has(name)))
}

/** Statuses whose shared error response some operation refers to. */
function usedErrorResponses(paths: Record<string, Json>): number[] {
  const used = new Set<number>()
  for (const item of Object.values(paths)) {
    for (const op of Object.values(item) as { responses: Record<string, { $ref?: string }> }[]) {
      for (const [status, answer] of Object.entries(op.responses)) {
        if (answer.$ref?.startsWith('#/components/responses/')) used.add(Number(status))
      }
    }
  }
  return [...used].sort((a, b) => a - b)
}

/**
 * The package version (the API itself is `/v1`): the nearest package.json above this module
 * (src/ and dist/ in the checkout, or the bundle); `0.0.0` when there is none.
 */
function packageVersion(): string {
  try {
    let dir = dirname(fileURLToPath(import.meta.url))
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      version?: unknown
    }
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0'
  } catch {
    return '0.0.0'
  }
}
