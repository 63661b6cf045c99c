/**
 * Building blocks of the response schemas: the registry of named schemas (the OpenAPI document's
 * `components.schemas`), ids, times, list envelopes. Response schemas describe what the views
 * write; they never parse anything at run time.
 */
import { z } from 'zod'

/** Every named response schema by its component name, in the order they were defined. */
export const components = new Map<string, z.ZodType>()

/** Metadata of a named schema: a sentence for people, and examples a reader can copy. */
export interface SchemaMeta<T extends z.ZodType> {
  description: string
  examples?: z.output<T>[]
}

/**
 * Names a response schema: it becomes `#/components/schemas/<name>`, and every schema using it
 * refers to it (generated clients get a type of that name).
 */
export function named<T extends z.ZodType>(name: string, schema: T, meta: SchemaMeta<T>): T {
  if (components.has(name)) throw new Error(`response schema ${name} is defined twice`)
  const out = schema.meta({ ...meta })
  components.set(name, out)
  return out
}

/** The component name of a schema made with `named()`, or undefined. */
export function nameOf(schema: z.ZodType): string | undefined {
  for (const [name, s] of components) if (s === schema) return name
  return undefined
}

/** An id with its type prefix (DESIGN §3): `ct_` + a lower-case ULID. */
export const idOf = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`))

/** ISO-8601 UTC time, as every time in the API. */
export const timestamp = z.iso.datetime()
export const maybeTimestamp = timestamp.nullable()

export const count = z.number().int().min(0)

/** A page of a list: `next_cursor` is null on the last page; pass it as `cursor` for the next. */
export function page<T extends z.ZodType>(items: T) {
  return z.object({ items: z.array(items), next_cursor: z.string().nullable() })
}

export const stringMap = z.record(z.string(), z.string())
export const jsonObject = z.record(z.string(), z.unknown())
