/**
 * Reading a platform's webhook lists leniently: a signed body is authentic, but its shape is still
 * input. An item that does not have the shape we read (a message whose `from` is a number, a list
 * that is an object) is skipped and counted, so one odd item neither fails the delivery (5xx: the
 * platform redelivers it for days) nor crashes the handler. Schemas are shallow about what they do
 * not read, so deeply nested junk is never walked.
 */
import type { z } from 'zod'

/** The items of `list` that `schema` accepts; `list` not an array → none. */
export function validItems<T>(list: unknown, schema: z.ZodType<T>, skipped: { n: number }): T[] {
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) {
    skipped.n++
    return []
  }
  const out: T[] = []
  for (const item of list as unknown[]) {
    const r = schema.safeParse(item)
    if (r.success) out.push(r.data)
    else skipped.n++
  }
  return out
}

/** True for a JSON object (not null, not an array): the only top-level shape webhooks send. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
