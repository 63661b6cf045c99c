/**
 * Turns a zod error into one 400 answer that names the field (`attachments[0].data`) and lists
 * every problem found, so a developer fixes the request in one go.
 */
import type { z } from 'zod'

export interface FieldIssue {
  field: string
  message: string
}

export function fieldPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`
    else out += out === '' ? String(p) : `.${String(p)}`
  }
  return out
}

export function describeZodError(
  err: z.ZodError,
  where: 'body' | 'query',
): { field: string; message: string; issues: FieldIssue[] } {
  const issues = err.issues.map((i) => {
    const field = fieldPath(i.path) || where
    let message = i.message
    if (i.code === 'unrecognized_keys') message = `unknown field(s): ${i.keys.join(', ')}`
    return { field, message }
  })
  const first = issues[0] ?? { field: where, message: 'invalid' }
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : ''
  return { field: first.field, message: `${first.field}: ${first.message}${more}`, issues }
}
