/**
 * `/v1/openapi.json`, generated from the routing table and its zod schemas, so the document cannot
 * drift from what the API validates.
 */
import { z } from 'zod'
import { allErrorCodes } from '../errors.js'
import type { Route } from './route.js'

export function openapi(table: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const r of table) {
    const path = r.path.replace(/:(\w+)/g, '{$1}')
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }))
    const query = r.query ? queryParams(r.query) : []
    const op: Record<string, unknown> = {
      summary: r.summary,
      security: r.auth.kind === 'key' ? [{ bearer: [] }] : [],
      'x-omnigate-auth': r.auth.kind === 'key' ? { roles: r.auth.roles } : r.auth.kind,
      parameters: [...params, ...query],
      responses: {
        [String(r.success ?? 200)]: { description: 'OK' },
        default: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    }
    if (r.body) {
      op.requestBody = {
        required: true,
        content: {
          'application/json': {
            schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }),
          },
        },
      }
    }
    ;(paths[path] ??= {})[r.method.toLowerCase()] = op
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Omnigate API', version: '1' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: allErrorCodes() },
                message: { type: 'string' },
                rule: { type: 'string' },
                details: { type: 'object' },
              },
            },
          },
        },
      },
    },
    paths,
  }
}

function queryParams(schema: z.ZodType): Record<string, unknown>[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, unknown>
    required?: string[]
  }
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: (json.required ?? []).includes(name),
    schema: s,
  }))
}
