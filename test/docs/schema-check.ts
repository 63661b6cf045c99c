/**
 * Checks a documented JSON example against a JSON Schema of `/v1/openapi.json` (local `$ref`s,
 * `type`, `nullable`, `enum`, `const`, `properties`, `required`, `additionalProperties`, `items`,
 * `anyOf`/`oneOf`/`allOf`). Formats, patterns and lengths are not checked: examples may elide a
 * value with "…" (`"sig": "9c1f…"`), and an elided string passes an `enum` too.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type Schema = boolean | { [k: string]: unknown }

function typeOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

function resolve(root: unknown, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`)
  let node: unknown = root
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    node =
      node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined
  }
  if (node === undefined) throw new Error(`$ref ${ref} resolves to nothing`)
  return node as Schema
}

const elided = (v: unknown) => typeof v === 'string' && v.includes('…')
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** Every way `value` breaks `schema`, as `$.path: problem` lines; empty when it conforms. */
export function schemaErrors(schema: Schema, value: Json, root: unknown, at = '$'): string[] {
  if (schema === true) return []
  if (schema === false) return [`${at}: no value is allowed here`]
  const s = schema
  const errors: string[] = []
  if (typeof s.$ref === 'string')
    errors.push(...schemaErrors(resolve(root, s.$ref), value, root, at))
  if (value === null && s.nullable === true) return errors
  const actual = typeOf(value)
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string]
    const ok = types.includes(actual) || (actual === 'integer' && types.includes('number'))
    if (!ok) return [...errors, `${at}: is ${actual}, expected ${types.join(' or ')}`]
  }
  if (Array.isArray(s.enum) && !elided(value) && !s.enum.some((e) => same(e, value)))
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`)
  if ('const' in s && !elided(value) && !same(s.const, value))
    errors.push(`${at}: must be ${JSON.stringify(s.const)}`)
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const subs = s[key]
    if (!Array.isArray(subs)) continue
    const results = subs.map((sub: Schema) => schemaErrors(sub, value, root, at))
    if (key === 'allOf') errors.push(...results.flat())
    else if (!results.some((r) => r.length === 0))
      errors.push(`${at}: matches none of ${key}: ${results.map((r) => r.join('; ')).join(' | ')}`)
  }
  if (actual === 'object' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const props = (s.properties ?? {}) as Record<string, Schema>
    for (const req of (s.required ?? []) as string[])
      if (!(req in value)) errors.push(`${at}: lacks required "${req}"`)
    for (const [k, v] of Object.entries(value)) {
      const sub = props[k]
      if (sub !== undefined) errors.push(...schemaErrors(sub, v, root, `${at}.${k}`))
      else if (s.additionalProperties === false) errors.push(`${at}: has no field "${k}"`)
      else if (typeof s.additionalProperties === 'object')
        errors.push(...schemaErrors(s.additionalProperties as Schema, v, root, `${at}.${k}`))
    }
  }
  if (Array.isArray(value) && s.items !== undefined && !Array.isArray(s.items)) {
    value.forEach((item, i) =>
      errors.push(...schemaErrors(s.items as Schema, item, root, `${at}[${i}]`)),
    )
  }
  return errors
}
