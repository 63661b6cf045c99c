/**
 * The JSON Schema of `gateway.config.yaml` for editors (`config/gateway.schema.json`), generated
 * from the zod schema so the two never drift. Editors see the file before `${VAR}` substitution, so
 * every string whose format is checked (durations, URLs, enums …) also accepts a `${VAR}`. A
 * channel's keys are picked by its `type` (an `if`/`then` per type) rather than a `oneOf` of every
 * type, so one mistake in a channel is one error, not one per type it fails to be.
 */
import { z } from 'zod'
import { configSchema } from './schema.js'

/** A string holding at least one `${VAR}` or `${VAR:-default}` reference. */
const ENV_REFERENCE_DEF = {
  type: 'string',
  pattern: '\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}',
  description: 'An environment variable reference, substituted at load.',
}

type Json = Record<string, unknown>

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Wraps checked string leaves as `anyOf: [leaf, ${VAR}]`; description and default stay outside. */
function allowEnvReferences(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowEnvReferences)
  if (!isObject(node)) return node
  const out: Json = {}
  // Map keys are never substituted: `propertyNames` stays as it is.
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === 'propertyNames' ? v : allowEnvReferences(v)
  }
  const props = out['properties']
  if (isObject(props)) {
    // `type` selects a channel's schema and cannot come from a variable.
    for (const [name, prop] of Object.entries(props))
      if (name !== 'type') props[name] = wrapLeaf(prop)
  }
  for (const k of ['items', 'additionalProperties']) if (isObject(out[k])) out[k] = wrapLeaf(out[k])
  return out
}

function wrapLeaf(node: unknown): unknown {
  if (!isObject(node)) return node
  const checked =
    node['type'] === 'string' && ('pattern' in node || 'format' in node || 'enum' in node)
  if (!checked) return node
  const { description, default: def, writeOnly, ...leaf } = node
  return {
    ...(description !== undefined ? { description } : {}),
    ...(def !== undefined ? { default: def } : {}),
    ...(writeOnly !== undefined ? { writeOnly } : {}),
    anyOf: [leaf, { $ref: '#/$defs/envReference' }],
  }
}

/** `$defs` name of one channel type's schema. */
const channelDef = (type: string): string => `channel-${type}`

/**
 * Turns the `oneOf` of channel types (zod's discriminated union) into a choice by `type`: `type`
 * is an enum, and an `if type is X then $ref X` per type. A validator then checks a channel against
 * its own type only; with `oneOf` it reported every other type's missing keys as well (34 to 106
 * errors for one misspelt key). Returns the per-type schemas for `$defs`.
 */
function discriminateChannels(schema: Json): Json {
  const channels = (schema['properties'] as Json | undefined)?.['channels']
  const union = isObject(channels) ? channels['additionalProperties'] : undefined
  const branches = isObject(union) ? union['oneOf'] : undefined
  if (!isObject(channels) || !isObject(union) || !Array.isArray(branches))
    throw new Error('json-schema: channels is no longer a oneOf of channel types')
  const defs: Json = {}
  const types: string[] = []
  for (const branch of branches as Json[]) {
    const type = ((branch['properties'] as Json)['type'] as Json)['const']
    if (typeof type !== 'string') throw new Error('json-schema: a channel type without const')
    types.push(type)
    defs[channelDef(type)] = branch
  }
  const { oneOf: _, ...rest } = union
  channels['additionalProperties'] = {
    ...rest,
    type: 'object',
    required: ['type'],
    properties: { type: { description: 'The channel type: selects its keys.', enum: types } },
    allOf: types.map((type) => ({
      if: { properties: { type: { const: type } }, required: ['type'] },
      then: { $ref: `#/$defs/${channelDef(type)}` },
    })),
  }
  return defs
}

/** The JSON Schema object (draft 2020-12) of the file as written. */
export function buildJsonSchema(): Json {
  const schema = allowEnvReferences(
    z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }),
  ) as Json
  const channelDefs = discriminateChannels(schema)
  const { $schema, $defs, ...rest } = schema
  return {
    $schema,
    title: 'Omnigate gateway.config.yaml',
    ...rest,
    $defs: {
      ...(isObject($defs) ? $defs : {}),
      ...channelDefs,
      envReference: ENV_REFERENCE_DEF,
    },
  }
}

/** The exact text of `config/gateway.schema.json`. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`
}
