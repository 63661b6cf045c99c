/**
 * The shape of `/v1/openapi.json`: OpenAPI 3.1 with servers from `server.public_url`, every route
 * of the table as an operation with a stable id, a tag and its security; the error codes of the
 * catalog; examples that match their schemas (closed: no undeclared field); and a table that
 * forgets a response or names an operation twice is refused when the document is built.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { allErrorCodes, API_ERRORS, RULE_ERRORS } from '../../src/gateway/errors.js'
import { openapi } from '../../src/gateway/http/openapi/index.js'
import * as r from '../../src/gateway/http/responses/index.js'
import { anyKey, open, route, type Route } from '../../src/gateway/http/route.js'
import { routes } from '../../src/gateway/http/routes.js'
import { startGateway, type TestGateway } from '../helpers/harness.js'
import { responseValidator } from './response-validator.js'

type Op = {
  operationId: string
  tags: string[]
  security: Record<string, string[]>[]
  parameters?: { name: string; in: string; required: boolean }[]
  requestBody?: unknown
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: any }> }>
}

let t: TestGateway
let doc: any
let ops: (Op & { method: string; path: string })[]

beforeAll(async () => {
  t = await startGateway('server:\n  public_url: https://omnigate.example.org/base/\n')
  doc = (await t.call('GET', '/v1/openapi.json', { key: null })).body
  ops = Object.entries(doc.paths as Record<string, Record<string, Op>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ ...op, method, path })),
  )
})
afterAll(async () => {
  await t?.close()
})

const handler = () => ({ status: 200 as const, body: {} })

describe('/v1/openapi.json', () => {
  it('is OpenAPI 3.1 on the 2020-12 dialect, served at server.public_url', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(doc.servers).toEqual([
      expect.objectContaining({ url: 'https://omnigate.example.org/base' }),
    ])
    expect(doc.info).toMatchObject({ title: 'Omnigate API', license: { identifier: 'MIT' } })
  })

  it('has every route of the table, with a unique camelCase operationId, a tag and security', () => {
    const table = routes(t.gw.svc)
    expect(ops).toHaveLength(table.length)
    const tags = new Set((doc.tags as { name: string }[]).map((x) => x.name))
    for (const rt of table) {
      const op = ops.find((o) => o.operationId === rt.operationId)
      expect(op, rt.operationId).toMatchObject({
        method: rt.method.toLowerCase(),
        path: rt.path.replace(/:(\w+)/g, '{$1}'),
      })
      expect(op?.tags.every((x) => tags.has(x))).toBe(true)
      const schemes = (op?.security ?? []).flatMap((s) => Object.keys(s))
      if (rt.auth.kind === 'key') expect(schemes).toEqual(['bearer'])
      for (const s of schemes) expect(doc.components.securitySchemes[s]).toBeDefined()
    }
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length)
    expect(ops.every((o) => /^[a-z][A-Za-z0-9]*$/.test(o.operationId))).toBe(true)
  })

  it('POST /v1/messages: Idempotency-Key, 202 MessageAccepted, dry_run 200 Decision, refusals', () => {
    const send = ops.find((o) => o.operationId === 'sendMessage')
    expect(send?.parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
    )
    const schemaOf = (status: string) => send?.responses[status]?.content?.['application/json']
    expect(schemaOf('202')?.schema).toEqual({ $ref: '#/components/schemas/MessageAccepted' })
    expect(schemaOf('200')?.schema).toEqual({ $ref: '#/components/schemas/Decision' })
    for (const s of ['400', '401', '404', '409', '413', '422', '429']) {
      expect(send?.responses[s]?.$ref, s).toMatch(/^#\/components\/responses\//)
    }
    expect(send?.requestBody).toMatchObject({ required: true })
  })

  it('answers every operation that takes a key, a body, a query or a path with a 4xx', () => {
    for (const o of ops) {
      const input = o.security.length > 0 || o.parameters?.length || o.requestBody
      const has4xx = Object.keys(o.responses).some((s) => s.startsWith('4'))
      if (input) expect(has4xx, o.operationId).toBe(true)
    }
  })

  it("the error code enum is the catalog's, and each error response names its status's codes", () => {
    expect(doc.components.schemas.ErrorCode.enum).toEqual(allErrorCodes())
    const catalog: Record<string, number> = { ...API_ERRORS, ...RULE_ERRORS }
    for (const answer of Object.values<{ description: string }>(doc.components.responses)) {
      const named = [...answer.description.matchAll(/`(\w+)`/g)].map((m) => m[1] ?? '')
      const statuses = new Set(named.filter((c) => c in catalog).map((c) => catalog[c]))
      expect(statuses.size, answer.description).toBeLessThanOrEqual(1)
    }
    expect(doc.components.responses.Conflict.description).toContain('`thread_conflict`')
  })

  it('every example matches its schema, closed (no field the schema does not name)', () => {
    const v = responseValidator(doc)
    let n = 0
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
      for (const example of schema.examples ?? []) {
        n++
        const ok = v.schema(name)(example)
        expect(ok, `${name}: ${v.ajv.errorsText(v.schema(name).errors)}`).toBe(true)
      }
    }
    expect(n).toBeGreaterThanOrEqual(10)
  })

  it('refuses a table with no 2xx, an unnamed answer schema or a duplicate operationId', () => {
    const base = { method: 'GET', path: '/x', auth: open, summary: 'x', handler } as const
    const build = (table: Route[]) => () => openapi(table, { publicUrl: 'http://h' })
    expect(build([route({ ...base, operationId: 'x', responses: r.errors(404) })])).toThrow(/2xx/)
    const unnamed = { 200: z.object({ a: z.string() }) }
    expect(build([route({ ...base, operationId: 'x', responses: unnamed })])).toThrow(/no name/)
    const twice = [
      route({ ...base, operationId: 'x', responses: { 200: r.health } }),
      route({ ...base, path: '/y', operationId: 'x', responses: { 200: r.health } }),
    ]
    expect(build(twice)).toThrow(/not unique/)
    const keyed = route({ ...base, auth: anyKey, operationId: 'y', responses: { 200: r.health } })
    const doc2 = openapi([keyed], { publicUrl: 'http://h/' }) as any
    expect(Object.keys(doc2.paths['/x'].get.responses)).toEqual(['200', '401', '429', '500', '503'])
    // Only the schemas it refers to: no unused named schema (Contact …) comes along.
    expect(Object.keys(doc2.components.schemas).sort()).toEqual(['Error', 'ErrorCode', 'Health'])
  })
})
