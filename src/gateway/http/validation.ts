/**
 * Turns a zod error into one 400 answer that names the field (`attachments[0].data`) and lists
 * every problem found, so a developer fixes the request in one go.
 */
import type { z } from 'zod'

export interface FieldIssue {
  field: string
  message: string
}

function fieldPath(path: readonly PropertyKey[]): string {
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
  // Unknown keys first: a misspelt key (`adress`) also makes the real one missing, and the typo
  // is what the developer has to fix.
  const ordered = [
    ...err.issues.filter((i) => i.code === 'unrecognized_keys'),
    ...err.issues.filter((i) => i.code !== 'unrecognized_keys'),
  ]
  const issues = ordered.flatMap((i): FieldIssue[] => {
    // zod puts an unknown key's issue on the object that holds it: name the key itself
    // (`to.adress`), one issue each, so `details.field` points at the typo.
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => ({ field: fieldPath([...i.path, k]), message: 'unknown field' }))
    }
    return [{ field: fieldPath(i.path) || where, message: i.message }]
  })
  const first = issues[0] ?? { field: where, message: 'invalid' }
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : ''
  return { field: first.field, message: `${first.field}: ${first.message}${more}`, issues }
}
