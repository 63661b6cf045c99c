/**
 * Turns zod issues into sentences that name the key: `unknown key "fo" (allowed: a, b, c)`,
 * `expected a number, got "abc"`, `must be one of polling, webhook`. Schema-level messages (set in
 * schema-parts.ts) are kept; zod's generic ones are recognised by the empty message the loader
 * asks zod for, and phrased here. Values of secret keys are never quoted.
 */
import type { z } from 'zod'
import { describeValue } from '../../connectors/shared/describe-value.js'
import { ALLOWED_KEYS_PREFIX } from './schema-parts.js'
import type { Anchor, PathSegment } from './source.js'

export type ZodIssue = z.core.$ZodIssue

/** One problem at one key path, not yet placed in the file. */
export interface Finding {
  path: PathSegment[]
  anchor: Anchor
  message: string
}

/** Keys whose values are credentials: an error names the key, never the value. */
const SECRET_KEYS = new Set([
  'key',
  'token',
  'secret',
  'webhook_secret',
  'channel_access_token',
  'channel_secret',
  'access_token',
  'app_secret',
  'verify_token',
  'private_key',
])

function isSecretPath(path: readonly PathSegment[]): boolean {
  const last = path[path.length - 1]
  const parent = path[path.length - 2]
  return (
    SECRET_KEYS.has(String(last)) ||
    (last === 'url' && (parent === 'smtp' || parent === 'imap' || parent === 'postgres'))
  )
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a map',
  record: 'a map',
  array: 'a list',
  null: 'null',
}

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected
}

/** What kind of value it is, for secrets whose value is never quoted. */
function describeKind(value: unknown): string {
  if (typeof value === 'string') return 'a string'
  if (typeof value === 'number') return 'a number'
  if (typeof value === 'boolean') return 'true or false'
  return describeValue(value)
}

function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : String(v))).join(', ')
}

function toSegments(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((s) => (typeof s === 'number' ? s : String(s)))
}

/** The findings of one zod issue (an unknown-keys issue gives one per key). */
export function describeIssue(issue: ZodIssue, prefix: readonly PathSegment[] = []): Finding[] {
  const path = [...prefix, ...toSegments(issue.path)]
  const custom = issue.message !== '' ? issue.message : null
  const got = isSecretPath(path) ? describeKind(issue.input) : describeValue(issue.input)
  const at = (message: string, anchor: Anchor = 'value'): Finding[] => [{ path, anchor, message }]
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) {
        return at(`required key "${String(path[path.length - 1])}" is missing`, 'parent')
      }
      return at(custom ?? `expected ${typeName(issue.expected)}, got ${got}`)
    case 'unrecognized_keys': {
      const allowed = custom?.startsWith(ALLOWED_KEYS_PREFIX) === true ? ` (${custom})` : ''
      return issue.keys.map((k) => ({
        path: [...path, k],
        anchor: 'key' as const,
        message: `unknown key "${k}"${allowed}`,
      }))
    }
    case 'invalid_value':
      return at(
        custom ??
          (issue.values.length === 1
            ? `must be ${listValues(issue.values)}, got ${got}`
            : `must be one of ${listValues(issue.values)}, got ${got}`),
      )
    case 'invalid_union':
      return describeUnion(issue, path, got)
    case 'invalid_key': {
      const inner = issue.issues.find((i) => i.message !== '')
      return at(
        inner?.message ?? `${describeValue(issue.input)} is not allowed as a name here`,
        'key',
      )
    }
    case 'too_small':
      return at(custom ?? tooSmall(issue))
    case 'too_big':
      return at(custom ?? tooBig(issue))
    case 'invalid_format':
      return at(custom ?? `${got} is not a valid ${issue.format}`)
    default:
      return at(custom ?? 'is not valid')
  }
}

function tooSmall(issue: z.core.$ZodIssueTooSmall): string {
  const min = Number(issue.minimum)
  if (issue.origin === 'array') return `must list at least ${min} item${min === 1 ? '' : 's'}`
  if (issue.origin === 'string')
    return min === 1 ? 'must not be empty' : `must be at least ${min} characters`
  return issue.inclusive === false ? `must be greater than ${min}` : `must be at least ${min}`
}

function tooBig(issue: z.core.$ZodIssueTooBig): string {
  const max = Number(issue.maximum)
  if (issue.origin === 'array') return `must list at most ${max} item${max === 1 ? '' : 's'}`
  if (issue.origin === 'string') return `must be at most ${max} characters`
  return issue.inclusive === false ? `must be less than ${max}` : `must be at most ${max}`
}

/**
 * A union: a channel's unknown `type`; else the alternative the value was evidently meant for
 * (the only one that failed deeper than its own type), or a list of the accepted kinds.
 */
function describeUnion(
  issue: z.core.$ZodIssueInvalidUnion,
  path: PathSegment[],
  got: string,
): Finding[] {
  if (issue.discriminator !== undefined) {
    const options =
      'options' in issue && issue.options !== undefined ? listValues(issue.options) : ''
    const input = issue.input as Record<string, unknown> | undefined
    if (input?.[issue.discriminator] === undefined) {
      return [
        {
          path,
          anchor: 'parent',
          message: `required key "${issue.discriminator}" is missing (one of ${options})`,
        },
      ]
    }
    const value = describeValue(input[issue.discriminator])
    return [
      {
        path,
        anchor: 'value',
        message: `unknown ${issue.discriminator} ${value} (one of ${options})`,
      },
    ]
  }
  const atRoot = (i: ZodIssue) =>
    i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')
  const deeper = issue.errors.filter((branch) => !branch.every(atRoot))
  const meant = deeper[0]
  if (meant !== undefined) return meant.flatMap((i) => describeIssue(i, path))
  const kinds = issue.errors.flat().map((i) => {
    if (i.code === 'invalid_type') return typeName(i.expected)
    if (i.code === 'invalid_value') return listValues(i.values)
    return i.message
  })
  return [
    { path, anchor: 'value', message: `expected ${[...new Set(kinds)].join(' or ')}, got ${got}` },
  ]
}
