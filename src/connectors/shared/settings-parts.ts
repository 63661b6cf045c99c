/**
 * The zod building blocks of a channel's settings schema (`connectors/<type>/settings.ts`). They
 * live beside the connectors so each connector owns its schema without importing the gateway; the
 * config (`gateway/config/schema-parts.ts`) re-exports them for its own keys. Each carries the
 * sentence its error should read as (`"24 hours" is not a duration (e.g. 24h, 90m)`), so the
 * config's `messages.ts` only phrases zod's generic issues.
 */
import { z } from 'zod'
import { DURATION_PATTERN, parseDuration } from '../../rules/duration.js'
import { describeValue } from './describe-value.js'

/** Prefix of the message a strict object gives an unknown key; the config reads the list back. */
export const ALLOWED_KEYS_PREFIX = 'allowed: '

/**
 * What the gateway adds to every channel's settings: the deadline (ms) of each network call, from
 * the channel's `timeout`, else `dispatcher.send_timeout` (a key of another section, so no channel
 * schema can hold its default).
 */
export interface ChannelTimeout {
  timeout_ms: number
}

interface RawIssue {
  code?: string
  input?: unknown
}

/** A strict object (unknown keys are errors) that names its allowed keys when one is unknown. */
export function strict<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ')
  return z.strictObject(shape, {
    error: (iss: RawIssue) =>
      iss.code === 'unrecognized_keys' ? `${ALLOWED_KEYS_PREFIX}${allowed}` : undefined,
  })
}

/** A custom message for a value that is present; a missing key keeps the generic wording. */
function when(sentence: (input: unknown) => string) {
  return (iss: RawIssue) => (iss.input === undefined ? undefined : sentence(iss.input))
}

const notDuration = when((v) => `${describeValue(v)} is not a duration (e.g. 24h, 90m)`)

/** A duration string (`24h`, `1h30m`, `500ms`), longer than zero. */
export function duration(description: string) {
  return z
    .string({ error: notDuration })
    .regex(DURATION_PATTERN, { error: notDuration, abort: true })
    .refine((s) => (parseDuration(s) ?? 0) > 0, { message: 'must be longer than 0' })
    .meta({ description })
}

/**
 * An optional duration read as milliseconds, `fallback` when absent: the default lives here, in
 * the schema, and the JSON Schema (of the file as written) shows the same optional string.
 */
export function durationMs(description: string, fallback: number) {
  return duration(description)
    .optional()
    .transform((s) => (s === undefined ? fallback : (parseDuration(s) ?? fallback)))
}

/** A secret: a non-empty string whose value never appears in an error message. */
export function secret(description: string) {
  return z
    .string({ error: when(() => 'expected a string (quote the value)') })
    .min(1, { message: 'must not be empty' })
    .meta({ description, writeOnly: true })
}

/** A non-empty string. */
export function text(description: string) {
  return z.string().min(1, { message: 'must not be empty' }).meta({ description })
}

/** An http(s) URL written in this file (trusted); trailing slashes removed so paths append. */
export function httpUrl(description: string) {
  return z
    .url({
      protocol: /^https?$/,
      error: when((v) => `${describeValue(v)} is not an http(s) URL`),
    })
    .transform((s) => s.replace(/\/+$/, ''))
    .meta({ description })
}

/** A URL of the given scheme that may hold credentials: errors never repeat it. */
export function credentialUrl(schemes: readonly string[], description: string) {
  const list = schemes.map((s) => `${s}://`).join(' or ')
  return z
    .url({
      protocol: new RegExp(`^(${schemes.join('|')})$`),
      error: when(() => `is not a ${list} URL`),
    })
    .meta({ description, writeOnly: true })
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/

/** `host:port` (`[::1]:8080` for IPv6); port 0 picks a free one. */
export function hostPort(description: string) {
  const notHostPort = when((v) => `${describeValue(v)} is not host:port (e.g. 127.0.0.1:8080)`)
  return z
    .string({ error: notHostPort })
    .regex(HOST_PORT, { error: notHostPort, abort: true })
    .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, {
      message: 'port must be at most 65535',
    })
    .meta({ description })
}

/** Splits a validated `host:port` (brackets of an IPv6 host removed). */
export function splitHostPort(value: string): { host: string; port: number } | null {
  const match = HOST_PORT.exec(value)
  if (match === null || match[1] === undefined || match[2] === undefined) return null
  const port = Number(match[2])
  if (port > 65535) return null
  return { host: match[1].replace(/^\[|\]$/g, ''), port }
}

/** An email address (a mailbox, not `Name <mailbox>`). */
export function email(description: string) {
  return z.email({ error: when((v) => `${describeValue(v)} is not an email address`) }).meta({
    description,
  })
}

/** A string matching `pattern`; `rule` says in words what is allowed. */
export function pattern(re: RegExp, rule: string, description: string) {
  const sentence = when((v) => `${describeValue(v)} is not valid: ${rule}`)
  return z.string({ error: sentence }).regex(re, { error: sentence }).meta({ description })
}

/** Template names: also used in the API and in key paths, so no dots or spaces. */
export const templateName = pattern(
  /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
  'a template name is letters, digits, _ and -, up to 64, starting with a letter or digit',
  'A template name.',
)
