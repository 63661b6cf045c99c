/**
 * Bounds on the JSON of a request body, checked right after `JSON.parse` and before anything
 * recursive sees it. `JSON.parse` takes 100 000 levels of nesting in its stride; `JSON.stringify`
 * (storing `attributes`), loggers and recursive validators overflow the stack at a few thousand —
 * a 25 KB body of nested `attributes` was a 500. The walk here is iterative, so no body can
 * overflow it; a body past a bound is a 400 `invalid_field` naming the field.
 */

/**
 * No body nests deeper (objects and arrays, counted from the body). Our own fields go 4 deep
 * (`to.attributes.…`, `subscription.keys.auth`); personalisation data rarely passes 5 (a profile
 * with addresses inside orders), so 32 leaves room and stays far from any stack limit.
 * @internal exported for tests
 */
export const MAX_JSON_DEPTH = 32

/**
 * Free JSON of the caller's own (`attributes`, `variables`, `template.variables`) holds at most
 * this much, as JSON text: every read of the contact carries it, and every rendered message its
 * variables; a message's own text has its own, larger limit.
 * @internal exported for tests
 */
export const MAX_FREE_JSON_BYTES = 64 * 1024

/** Keys whose value is the caller's own JSON: bounded in size as well as depth. */
const FREE_JSON_KEYS = new Set(['attributes', 'variables'])

export interface JsonBoundsViolation {
  /** The field as the API names fields (`attributes`, `to.attributes`, `body` for the whole). */
  field: string
  message: string
}

/** Our own fields are at most this many keys deep (`subscription.keys.auth`). */
const OWN_FIELD_KEYS = 3

/** A parsed JSON array or object: what the walk steps into. */
type JsonContainer = unknown[] | Record<string, unknown>

function isContainer(value: unknown): value is JsonContainer {
  return typeof value === 'object' && value !== null
}

interface Frame {
  value: JsonContainer
  depth: number
  /** The field a violation here is reported under. */
  field: string
  /** The field is final: the caller's own data (free JSON, an array's items) or deep enough. */
  settled: boolean
}

/** The first bound `body` breaks, or null. Never recurses. */
export function checkJsonBounds(body: unknown): JsonBoundsViolation | null {
  if (!isContainer(body)) return null
  const freeFields: { field: string; value: unknown }[] = []
  const stack: Frame[] = [{ value: body, depth: 1, field: 'body', settled: false }]
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if (frame.depth > MAX_JSON_DEPTH) {
      return {
        field: frame.field,
        message: `${frame.field}: nested deeper than ${MAX_JSON_DEPTH} levels`,
      }
    }
    if (Array.isArray(frame.value)) {
      // An array is named as a whole (`attachments`), not item by item.
      for (const child of frame.value) {
        if (isContainer(child))
          stack.push({ value: child, depth: frame.depth + 1, field: frame.field, settled: true })
      }
      continue
    }
    for (const [key, child] of Object.entries(frame.value)) {
      const field = frame.settled ? frame.field : frame.depth === 1 ? key : `${frame.field}.${key}`
      const free = !frame.settled && FREE_JSON_KEYS.has(key)
      if (free) freeFields.push({ field, value: child })
      if (!isContainer(child)) continue
      const settled = frame.settled || free || frame.depth >= OWN_FIELD_KEYS
      stack.push({ value: child, depth: frame.depth + 1, field, settled })
    }
  }
  for (const f of freeFields) {
    // Safe now: nothing is nested deeper than MAX_JSON_DEPTH.
    const bytes = Buffer.byteLength(JSON.stringify(f.value) ?? '')
    if (bytes > MAX_FREE_JSON_BYTES) {
      return {
        field: f.field,
        message: `${f.field}: ${bytes} bytes of JSON, more than ${MAX_FREE_JSON_BYTES}`,
      }
    }
  }
  return null
}
