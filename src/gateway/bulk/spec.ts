/**
 * What a bulk sends, as stored with the job (`BulkRecord.spec`) and read back by the runner after
 * a restart: the audience filter as resolved when the job was made, and the content every
 * recipient's send is evaluated with. The store keeps it opaque; this schema checks it on the way
 * back in, so a row written by another version fails loudly instead of sending the wrong thing.
 */
import { z } from 'zod'
import type { SendContent } from '../../rules/types.js'
import type { BulkRecord } from '../../store/types.js'
import type { Caller } from '../http/route.js'
import type { BulkBody } from '../http/schemas.js'

const stringMap = z.record(z.string(), z.string())

export const bulkSpec = z.object({
  /** The search filter (`assignee` resolved from `me`), or null for a list of ids. */
  filter: stringMap.nullable(),
  text: z.string().nullable(),
  template: z.object({ name: z.string(), variables: stringMap }).nullable(),
  variables: stringMap,
  tags: z.array(z.string()),
  email: z.object({ from: z.string().nullable(), subject: z.string().nullable() }).nullable(),
  /** A scheduled bulk (DESIGN §14): its messages are held until then; absent in older rows. */
  send_at: z.string().nullable().optional(),
})
export type BulkSpec = z.infer<typeof bulkSpec>

/** The spec of a request; `filter` is the resolved one (null when ids were given). */
export function specOf(
  body: BulkBody,
  filter: Record<string, string> | null,
  sendAt: Date | null = null,
): BulkSpec {
  return {
    filter,
    send_at: sendAt?.toISOString() ?? null,
    text: body.text ?? null,
    template: body.template
      ? { name: body.template.name, variables: body.template.variables ?? {} }
      : null,
    variables: body.variables ?? {},
    tags: body.tags ?? [],
    email: body.email
      ? { from: body.email.from ?? null, subject: body.email.subject ?? null }
      : null,
  }
}

/** The spec of a stored job; throws when the row does not hold one. */
export function readSpec(b: BulkRecord): BulkSpec {
  return bulkSpec.parse(b.spec)
}

/** The content the rules check and personalise for each recipient, as for a single send. */
export function sendContent(spec: BulkSpec): SendContent {
  return {
    text: spec.text,
    attachments: [],
    template: spec.template,
    variables: spec.variables,
    email: spec.email ? { from: spec.email.from, subject: spec.email.subject, bcc: [] } : null,
    tags: spec.tags,
  }
}

/** Who the bulk's messages are from: the key that made it, as agent or app. */
export function callerOf(b: BulkRecord): Caller {
  return { id: b.author.id ?? 'unknown', role: b.author.kind === 'app' ? 'app' : 'agent' }
}

/** When a scheduled bulk's messages go out (null: at once). */
export function sendAtOf(spec: BulkSpec): Date | null {
  return spec.send_at ? new Date(spec.send_at) : null
}
