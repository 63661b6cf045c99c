/**
 * Turns the validated file into the ResolvedConfig the daemon runs on: defaults layered per
 * channel, durations in milliseconds, keys hashed, paths absolute. Warnings (disabled channels,
 * inactive keys) are collected for `check-config` and the log.
 */
import { createHash } from 'node:crypto'
import { basename, dirname, resolve } from 'node:path'
import type { ChannelType } from '../../connectors/types.js'
import { CHANNEL_CAPABILITIES } from '../../connectors/capabilities.js'
import { CHANNEL_LIMITS } from '../../connectors/limits.js'
import type { ChannelInfo } from '../../rules/types.js'
import { missingSentence, type MissingVar } from './env.js'
import { mergeRules } from './merge-rules.js'
import { parseDuration } from './duration.js'
import { WEBHOOK_EVENTS } from './schema.js'
import { splitHostPort } from './schema-parts.js'
import type { ApiKey, ChannelConfig, InactiveKey, ResolvedConfig } from './types.js'
import type { ParsedChannel, Validated } from './validate.js'

export interface ResolveOptions {
  /** Absolute path of the config file. */
  file: string
  /** Base of relative paths. */
  cwd: string
  /** `--data DIR`: the folder of the SQLite file (its name is kept). */
  dataDir?: string
  /** `--listen HOST:PORT`, already split. */
  listen?: { host: string; port: number }
}

/** Milliseconds of a duration the schema has validated. */
function ms(duration: string): number {
  const value = parseDuration(duration)
  if (value === null) throw new Error(`unvalidated duration ${duration}`)
  return value
}

/** The daemon's configuration from a validated file (not yet frozen). */
export function resolveConfig(validated: Validated, opts: ResolveOptions): ResolvedConfig {
  const { raw } = validated
  const warnings: string[] = []
  const listen = opts.listen ?? splitHostPort(raw.server.listen)
  if (listen === null) throw new Error('unvalidated server.listen')
  const dispatcher = {
    max_attempts: raw.dispatcher.max_attempts,
    backoff_base_ms: ms(raw.dispatcher.backoff_base),
    backoff_max_ms: ms(raw.dispatcher.backoff_max),
    lease_ms: ms(raw.dispatcher.lease),
    batch: raw.dispatcher.batch,
    concurrency: raw.dispatcher.concurrency,
    send_timeout_ms: ms(raw.dispatcher.send_timeout),
  }
  // Null prototype: names come from requests (`/v1/channels/valueOf/status`), and a lookup must
  // find configured channels only, never Object.prototype's members.
  const channels = Object.create(null) as Record<string, ChannelConfig>
  for (const [name, parsed] of Object.entries(raw.channels)) {
    const missingVars = validated.disabled.get(name) ?? []
    channels[name] = resolveChannel(name, parsed, raw, missingVars, dispatcher.send_timeout_ms)
    const reason = channels[name].info.disabledReason
    if (reason !== undefined) warnings.push(disabledWarning(name, reason))
  }
  const { keys, inactive } = resolveKeys(raw, validated, warnings)
  return {
    file: opts.file,
    server: {
      host: listen.host,
      port: listen.port,
      public_url: raw.server.public_url,
      body_limit: raw.server.body_limit,
      rate_limit: { ...raw.server.rate_limit },
    },
    store: {
      ...resolveStore(raw.store.sqlite, opts),
      postgres: raw.store.postgres ? { ...raw.store.postgres } : null,
    },
    auth: { keys, inactive },
    security: {
      allow_private_urls: raw.security.allow_private_urls,
      attachment_link_ttl_ms: ms(raw.security.attachment_link_ttl),
    },
    dispatcher,
    channels,
    templates: Object.assign(
      Object.create(null) as ResolvedConfig['templates'],
      Object.fromEntries(
        Object.entries(raw.templates).map(([name, t]) => [
          name,
          { title: t.title ?? null, text: t.text, signature: t.signature ?? null },
        ]),
      ),
    ),
    webhooks: raw.webhooks.map((w) => ({
      url: w.url,
      secret: w.secret,
      // `*` is spelt out, so a consumer only asks `events.includes(event)`.
      events: w.events.includes('*') ? [...WEBHOOK_EVENTS] : [...new Set(w.events)],
      retry: { attempts: w.retry.attempts, backoff_max_ms: ms(w.retry.backoff_max) },
    })),
    warnings,
  }
}

function resolveStore(
  sqlite: string,
  opts: ResolveOptions,
): Omit<ResolvedConfig['store'], 'postgres'> {
  // `:memory:` (tests, benchmarks) keeps no file; the data folder still holds blobs and sessions.
  if (sqlite === ':memory:') {
    return { sqlite, data_dir: resolve(opts.cwd, opts.dataDir ?? 'data') }
  }
  const file = resolve(opts.cwd, sqlite)
  const path = opts.dataDir !== undefined ? resolve(opts.cwd, opts.dataDir, basename(file)) : file
  return { sqlite: path, data_dir: dirname(path) }
}

const ADDRESS_KIND: Record<Exclude<ChannelType, 'webhook'>, ChannelInfo['addressKind']> = {
  telegram: 'telegram',
  line: 'line',
  whatsapp: 'phone',
  'whatsapp-cloud': 'phone',
  email: 'email',
  webpush: 'push',
  // The site's own user id (`external_id`), whatever its shape.
  webchat: 'any',
}

function resolveChannel(
  name: string,
  parsed: ParsedChannel,
  raw: Validated['raw'],
  missingVars: MissingVar[],
  sendTimeoutMs: number,
): ChannelConfig {
  const channel = parsed.block
  const info: ChannelInfo = {
    name,
    type: channel.type,
    enabled: parsed.enabled,
    addressKind:
      channel.type === 'webhook' ? (channel.address ?? 'any') : ADDRESS_KIND[channel.type],
    rules: mergeRules(channel.type, [raw.defaults.rules, channel.rules]),
    limits: structuredClone(CHANNEL_LIMITS[channel.type]),
    capabilities: CHANNEL_CAPABILITIES[channel.type],
    senders: channel.type === 'email' ? [...(channel.senders ?? [])] : [],
    defaultSubject: channel.type === 'email' ? (channel.default_subject ?? null) : null,
  }
  if (!parsed.enabled) info.disabledReason = missingSentence(missingVars)
  const base = { info, missingVars: [...new Set(missingVars.map((v) => v.name))] }
  if (parsed.enabled) {
    const { rules: _, timeout, ...own } = parsed.block
    const timeout_ms = timeout !== undefined ? ms(timeout) : sendTimeoutMs
    return { ...base, enabled: true, settings: { ...own, timeout_ms } }
  }
  const { rules: _, timeout, ...own } = parsed.block
  const timeout_ms = timeout !== undefined ? ms(timeout) : sendTimeoutMs
  return { ...base, enabled: false, settings: { ...own, timeout_ms } }
}

const disabledWarning = (name: string, reason: string): string =>
  `channels.${name}: disabled: ${reason}`

/**
 * The warnings the daemon logs at start: all but the disabled channels', which the channel
 * registry logs itself (with the channel's fields), so each is said once.
 */
export function warningsBesideChannels(config: ResolvedConfig): string[] {
  const channelLines = new Set(
    Object.entries(config.channels).flatMap(([name, c]) =>
      c.info.disabledReason !== undefined ? [disabledWarning(name, c.info.disabledReason)] : [],
    ),
  )
  return config.warnings.filter((w) => !channelLines.has(w))
}

function resolveKeys(
  raw: Validated['raw'],
  validated: Validated,
  warnings: string[],
): { keys: ApiKey[]; inactive: InactiveKey[] } {
  const keys: ApiKey[] = []
  const inactive: InactiveKey[] = []
  raw.auth.keys.forEach((k, i) => {
    if (k.key === '') {
      const vars = validated.emptyKeys.get(i)
      const why =
        vars !== undefined
          ? missingSentence(vars).replace(/^environment variables? /, '')
          : 'key is empty'
      warnings.push(`auth.keys[${i}]: ${why}; key \`${k.id}\` is not active`)
      inactive.push({ id: k.id, role: k.role, vars: [...new Set((vars ?? []).map((v) => v.name))] })
      return
    }
    const sha256 =
      k.key !== undefined
        ? createHash('sha256').update(k.key).digest()
        : Buffer.from(k.sha256 ?? '', 'hex')
    keys.push({ id: k.id, name: k.name ?? null, role: k.role, sha256 })
  })
  if (keys.length === 0) warnings.push(noActiveKeyWarning(inactive))
  return { keys, inactive }
}

/** What to do when no key is active, in one line (the start summary spells it out). */
function noActiveKeyWarning(inactive: InactiveKey[]): string {
  const vars = [...new Set(inactive.flatMap((k) => k.vars))]
  const orSet = vars.length > 0 ? `, or set ${vars.join(' or ')}` : ''
  return (
    'auth: no API key is active: every /v1 route answers 401 until one is. Run ' +
    '`omnigate keys new --id you --role admin` and add the line it prints under auth.keys' +
    orSet
  )
}
