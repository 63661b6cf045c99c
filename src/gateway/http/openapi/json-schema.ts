/**
 * zod → JSON Schema (2020-12) for the OpenAPI document, as `config/json-schema.ts` does for the
 * config: named schemas become `components.schemas` entries that refer to each other by `$ref`.
 * Requests are converted as input (what a caller may send), responses as output (what we write).
 */
import { z } from 'zod'

export type Json = Record<string, unknown>

export const componentRef = (name: string): string => `#/components/schemas/${name}`

/**
 * Converts `named` schemas in one pass, so a named schema used inside another is a `$ref`.
 * Response objects leave out `additionalProperties: false`: we may add fields to an answer, and a
 * client must ignore those it does not know (the tests check answers against the closed form).
 */
export function componentSchemas(
  named: ReadonlyMap<string, z.ZodType>,
  io: 'input' | 'output',
): Record<string, Json> {
  const registry = z.registry<{ id: string }>()
  for (const [id, schema] of named) registry.add(schema, { id })
  const { schemas } = z.toJSONSchema(registry, {
    io,
    uri: componentRef,
    unrepresentable: 'any',
  }) as { schemas: Record<string, Json> }
  if ('__shared' in schemas) {
    throw new Error('a schema is shared by several components without a name: name it')
  }
  const out: Record<string, Json> = {}
  for (const [name, schema] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema
    // zod leaves out `examples` of an input whose output differs (a transform inside); ours are
    // written as input.
    const examples = z.globalRegistry.get(named.get(name) as z.ZodType)?.examples
    out[name] = tidy(examples && !rest.examples ? { ...rest, examples } : rest, io) as Json
  }
  return out
}

/** A schema written out in place (query and header parameters). */
export function inlineSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json
  return tidy(rest, io) as Json
}

/** The ISO date-time regex and ±2^53 bounds say nothing `format` and `integer` don't already. */
function tidy(node: unknown, io: 'input' | 'output'): unknown {
  if (Array.isArray(node)) return node.map((n) => tidy(n, io))
  if (node === null || typeof node !== 'object') return node
  const out: Json = {}
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === 'examples' || k === 'default' || k === 'const' || k === 'enum') out[k] = v
    else out[k] = tidy(v, io)
  }
  if (out['format'] === 'date-time') delete out['pattern']
  if (out['minimum'] === Number.MIN_SAFE_INTEGER) delete out['minimum']
  if (out['maximum'] === Number.MAX_SAFE_INTEGER) delete out['maximum']
  if (io === 'output' && out['additionalProperties'] === false) delete out['additionalProperties']
  return out
}
