/**
 * The resolved configuration the daemon runs on: parsed, validated, defaults applied, frozen.
 * The raw file's shape is the zod schema in `schema.ts` (the JSON Schema in `config/` is generated
 * from it); `resolve.ts` turns that into this.
 */
import type { ChannelSettings } from '../../connectors/index.js'
import type { ChannelTimeout } from '../../connectors/shared/settings-parts.js'
import type { BusinessHours } from '../../rules/business-hours.js'
import type { ChannelInfo, TemplateDef } from '../../rules/types.js'
import type { Automation } from './automations-schema.js'
import type { DisabledRawChannel } from './channel-schema.js'

export type Role = 'admin' | 'agent' | 'app'

export interface ApiKey {
  id: string
  name: string | null
  role: Role
  /** sha256 of the key (32 bytes); plaintext keys from the file are hashed at load and dropped. */
  sha256: Buffer
}

/** A key of `auth.keys` that is not active: its plaintext `key` came out empty. */
export interface InactiveKey {
  id: string
  role: Role
  /** The unset (or empty) variables its `key` refers to; empty when written empty. */
  vars: string[]
}

/**
 * A configured channel. An enabled one carries its connector's settings; a disabled one (a `${VAR}`
 * is missing) carries what was given without the missing keys, and never starts a connector.
 */
export type ChannelConfig = EnabledChannel | DisabledChannel

interface ChannelConfigBase {
  info: ChannelInfo
  /** `${VAR}`s without default that are not set: the channel is disabled and names them. */
  missingVars: string[]
}

/**
 * Lets a reader that has not narrowed on `settings.type` look a key up (`settings.secret` is
 * `unknown` then); narrowed, each key has its schema's type.
 */
type ByKey = { readonly [key: string]: unknown }

export interface EnabledChannel extends ChannelConfigBase {
  enabled: true
  /**
   * The channel's own keys as its connector's schema outputs them (`connectors/<type>/settings.ts`,
   * defaults applied), `${VAR}`s substituted, with `timeout_ms` from `timeout` or the dispatcher's.
   */
  settings: ChannelSettings & ByKey
}

export interface DisabledChannel extends ChannelConfigBase {
  enabled: false
  /** The same keys less those whose `${VAR}` is missing. */
  settings: DisabledSettings & ByKey
}

/** A disabled channel's own keys: any but `type` may be missing. */
export type DisabledSettings = DisabledRawChannel extends infer C
  ? C extends unknown
    ? Omit<C, 'rules' | 'timeout'> & ChannelTimeout
    : never
  : never

export interface WebhookTarget {
  url: string
  secret: string
  events: string[]
  /** Tries before a delivery becomes a dead letter, and the longest wait between two (ms). */
  retry: { attempts: number; backoff_max_ms: number }
}

export interface ResolvedConfig {
  /** Absolute path of the file it came from. */
  file: string
  server: {
    host: string
    port: number
    public_url: string
    /** Largest request body accepted (bytes): 413 above. */
    body_limit: number
    /** The API's own rate limit per key (token bucket): 429 above. */
    rate_limit: { per_second: number; burst: number }
  }
  store: {
    /** Absolute path of the SQLite file. */
    sqlite: string
    /** The data folder (blobs, sessions, keys): the SQLite file's folder. */
    data_dir: string
    /**
     * `store.postgres` (DESIGN §10): when set the store is PostgreSQL and `sqlite` is unused;
     * the data folder still holds sessions and keys. `url` is a credential: never log it whole.
     */
    postgres: { url: string; pool: number } | null
  }
  auth: {
    keys: ApiKey[]
    /** Keys in the file that are not active (shown with what to set at start). */
    inactive: InactiveKey[]
  }
  security: {
    allow_private_urls: boolean
    /** How long signed attachment links stay valid (ms). */
    attachment_link_ttl_ms: number
  }
  dispatcher: {
    max_attempts: number
    backoff_base_ms: number
    backoff_max_ms: number
    lease_ms: number
    batch: number
    concurrency: number
    send_timeout_ms: number
  }
  channels: Record<string, ChannelConfig>
  templates: Record<string, TemplateDef>
  webhooks: WebhookTarget[]
  /** `business_hours` (DESIGN §14), null when not given. */
  business_hours: BusinessHours | null
  /** `automations` (DESIGN §14), in the file's order. */
  automations: Automation[]
  /** Non-fatal findings (disabled channels naming their variable …), printed by check-config. */
  warnings: string[]
}

/** One config error: where and what, as `file:line:col: key.path: message`. */
export interface ConfigIssue {
  file: string
  line: number
  col: number
  path: string
  message: string
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.path}: ${i.message}`).join('\n'))
    this.name = 'ConfigError'
  }
}
