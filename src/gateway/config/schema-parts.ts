/**
 * Building blocks of the config schema. The ones a channel's settings use live in
 * `connectors/shared/settings-parts.ts` (a connector owns its schema and never imports the gateway)
 * and are re-exported here; the numbers and sizes below are the config's own. Numbers also accept
 * numeric strings: a `${VAR}` always substitutes to a string.
 */
import { z } from 'zod'
import { describeValue } from '../../connectors/shared/describe-value.js'
import { parseByteSize } from './duration.js'

export {
  ALLOWED_KEYS_PREFIX,
  credentialUrl,
  duration,
  hostPort,
  httpUrl,
  pattern,
  secret,
  splitHostPort,
  strict,
  templateName,
  text,
} from '../../connectors/shared/settings-parts.js'

interface NumOptions {
  int?: boolean
  /** Inclusive lower bound. */
  min?: number
  /** Exclusive lower bound. */
  gt?: number
  description: string
}

function numberTarget(opts: NumOptions) {
  let target = z.number()
  if (opts.int === true) target = target.int()
  if (opts.min !== undefined) target = target.min(opts.min)
  if (opts.gt !== undefined) target = target.gt(opts.gt)
  return target
}

function toNumber(value: unknown, ctx: z.RefinementCtx, int: boolean): number {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value)
  const kind = int ? 'a whole number' : 'a number'
  ctx.addIssue({
    code: 'custom',
    message: `expected ${kind}, got ${describeValue(value)}`,
    input: value,
  })
  return z.NEVER
}

/** A number, also given as a numeric string (`${VAR}`); JSON Schema: number or string. */
export function num(opts: NumOptions) {
  const jsonBounds = {
    ...(opts.min !== undefined ? { minimum: opts.min } : {}),
    ...(opts.gt !== undefined ? { exclusiveMinimum: opts.gt } : {}),
  }
  return z
    .unknown()
    .transform((v, ctx) => toNumber(v, ctx, opts.int === true))
    .pipe(numberTarget(opts))
    .meta({ type: ['number', 'string'], ...jsonBounds, description: opts.description })
}

/** Like `num`, but `null` (or an empty YAML value) is kept as null: "no limit". */
export function nullableNum(opts: NumOptions) {
  return z
    .unknown()
    .transform((v, ctx) => (v === null ? null : toNumber(v, ctx, opts.int === true)))
    .pipe(numberTarget(opts).nullable())
    .meta({ type: ['number', 'string', 'null'], description: opts.description })
}

/** A byte size: a number of bytes or `512kb`, `1mb` (1024-based). Output: bytes. */
export function byteSize(description: string) {
  return z
    .unknown()
    .transform((v, ctx) => {
      const bytes = typeof v === 'number' ? v : typeof v === 'string' ? parseByteSize(v) : null
      if (bytes !== null && Number.isInteger(bytes) && bytes > 0) return bytes
      ctx.addIssue({
        code: 'custom',
        message: `${describeValue(v)} is not a size (a number of bytes, or e.g. 512kb, 1mb)`,
        input: v,
      })
      return z.NEVER
    })
    .meta({ type: ['integer', 'string'], description })
}
