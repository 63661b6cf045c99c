import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildJsonSchema } from './json-schema.js'
import { loadConfig } from './load.js'

const root = resolve(import.meta.dirname, '../../..')
const sample = join(root, 'gateway.config.yaml')
const examplesDir = join(root, 'config/examples')

/** Values that pass validation for every variable the sample and the examples use. */
const FULL_ENV: Record<string, string> = {
  OMNIGATE_ADMIN_KEY: 'admin-key-0123456789',
  TELEGRAM_BOT_TOKEN: '123456:ABC-def_ghi',
  TELEGRAM_WEBHOOK_SECRET: 'tg_webhook-secret',
  LINE_CHANNEL_ACCESS_TOKEN: 'line-token',
  LINE_CHANNEL_SECRET: 'line-secret',
  WHATSAPP_PHONE_NUMBER_ID: '1234567890',
  WHATSAPP_ACCESS_TOKEN: 'wa-token',
  WHATSAPP_APP_SECRET: 'wa-secret',
  WHATSAPP_VERIFY_TOKEN: 'wa-verify',
  SMTP_URL: 'smtps://user:pass@mail.example:465',
  IMAP_URL: 'imaps://user:pass@mail.example:993',
  WEBPUSH_SECRET: 'push-secret',
  WEBCHAT_SECRET: 'chat-secret',
  VAPID_PUBLIC_KEY: 'BPublicKey',
  VAPID_PRIVATE_KEY: 'privateKey',
  SMS_RELAY_URL: 'https://relay.example/out',
  SMS_RELAY_SECRET: 'relay-secret',
}

/** `${VAR}`s without default in the file's active (uncommented) lines, by channel name. */
function variablesByChannel(file: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  let section = ''
  let channel = '(outside channels)'
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*#/.test(line)) continue
    const top = /^([a-z_]+):/.exec(line)?.[1]
    if (top !== undefined) [section, channel] = [top, '(outside channels)']
    const name = /^ {2}([a-z0-9][a-z0-9_-]*):/.exec(line)?.[1]
    if (section === 'channels' && name !== undefined) channel = name
    for (const m of line.matchAll(/\$\{([A-Z0-9_]+)\}/g)) {
      out.set(channel, (out.get(channel) ?? new Set()).add(m[1] ?? ''))
    }
  }
  return out
}

describe('the shipped gateway.config.yaml', () => {
  it('loads with an empty environment: every channel disabled naming its variables, no key active', () => {
    const c = loadConfig(sample, { env: {} })
    expect(Object.keys(c.channels)).toEqual(['tg', 'line', 'wa-cloud', 'mail', 'push', 'site', 'sms'])
    const vars = variablesByChannel(sample)
    for (const [name, channel] of Object.entries(c.channels)) {
      expect(channel.info.enabled, name).toBe(false)
      expect(new Set(channel.missingVars), name).toEqual(vars.get(name))
      for (const v of channel.missingVars) expect(channel.info.disabledReason).toContain(v)
      expect(c.warnings.some((w) => w.startsWith(`channels.${name}: disabled: `))).toBe(true)
    }
    expect(c.channels['tg']?.info.disabledReason).toBe(
      'environment variable TELEGRAM_BOT_TOKEN is not set',
    )
    expect(c.auth.keys).toEqual([])
    expect(c.warnings).toContain(
      'auth.keys[0]: OMNIGATE_ADMIN_KEY is not set; key `ops` is not active',
    )
    expect(c.templates['refund_update']?.title).toBe('Refund update')
    expect(c.store.sqlite).toBe(resolve('data/omnigate.db'))
  })

  it('enables every channel and the admin key once the variables are set', () => {
    const c = loadConfig(sample, { env: FULL_ENV })
    for (const [name, channel] of Object.entries(c.channels))
      expect(channel.info.enabled, name).toBe(true)
    expect(c.auth.keys.map((k) => [k.id, k.role])).toEqual([['ops', 'admin']])
    expect(c.warnings).toEqual([])
  })

  it('mentions every key of the schema (commented where it is not set)', () => {
    const text = readFileSync(sample, 'utf8')
    for (const key of schemaKeys()) expect(text, key).toMatch(new RegExp(`\\b${key}\\b`))
  })
})

describe('config/examples', () => {
  const files = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml'))

  it('has one example per channel type', () => {
    const types = [
      'email',
      'line',
      'telegram',
      'webchat',
      'webhook',
      'webpush',
      'whatsapp',
      'whatsapp-cloud',
    ]
    expect(files.sort()).toEqual(types.map((t) => `${t}.yaml`).sort())
  })

  it.each(files)('%s loads: disabled naming its variables without them, enabled with them', (f) => {
    const file = join(examplesDir, f)
    const type = f.replace(/\.yaml$/, '')
    const vars = variablesByChannel(file)
    const bare = loadConfig(file, { env: {} })
    const channels = Object.values(bare.channels)
    expect(channels.map((c) => c.info.type)).toEqual([type])
    for (const c of channels) {
      const expected = vars.get(c.info.name) ?? new Set()
      expect(new Set(c.missingVars)).toEqual(expected)
      expect(c.info.enabled).toBe(expected.size === 0)
    }
    for (const c of Object.values(loadConfig(file, { env: FULL_ENV }).channels)) {
      expect(c.info.enabled).toBe(true)
    }
  })
})

describe('docs/configuration.md', () => {
  it('documents every key of the schema', () => {
    const text = readFileSync(join(root, 'docs/configuration.md'), 'utf8')
    // as code: `key`, or a part of a dotted path such as `rate_limit.burst`
    for (const key of schemaKeys()) {
      expect(text, key).toMatch(new RegExp(`\`([\\w<>-]+\\.)*${key}(\\.[\\w<>-]+)*\``))
    }
  })
})

/** Every property name anywhere in the JSON Schema. */
function schemaKeys(): Set<string> {
  const keys = new Set<string>()
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk)
    if (typeof node !== 'object' || node === null) return
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties' && typeof v === 'object' && v !== null)
        Object.keys(v).forEach((p) => keys.add(p))
      walk(v)
    }
  }
  walk(buildJsonSchema())
  return keys
}
