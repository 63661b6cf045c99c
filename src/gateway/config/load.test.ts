import { createHash } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from './load.js'

const dir = mkdtempSync(join(tmpdir(), 'omnigate-config-'))
let n = 0

function write(lines: string[]): string {
  const file = join(dir, `c${n++}.yaml`)
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

const load = (lines: string[], env: NodeJS.ProcessEnv = {}, opts = {}) =>
  loadConfig(write(lines), { env, ...opts })

describe('defaults', () => {
  it('fills every section from an almost empty file', () => {
    const c = load(['channels: {}'])
    expect(c.server).toEqual({
      host: '127.0.0.1',
      port: 8080,
      public_url: 'http://localhost:8080',
      body_limit: 1_048_576,
      rate_limit: { per_second: 200, burst: 400 },
    })
    expect(c.store).toEqual({
      sqlite: resolve('data/omnigate.db'),
      data_dir: resolve('data'),
      postgres: null,
    })
    expect(c.security).toEqual({
      allow_private_urls: false,
      attachment_link_ttl_ms: 7 * 86_400_000,
    })
    expect(c.dispatcher).toEqual({
      max_attempts: 8,
      backoff_base_ms: 1000,
      backoff_max_ms: 600_000,
      lease_ms: 60_000,
      batch: 100,
      concurrency: 64,
      send_timeout_ms: 30_000,
    })
    expect(c.auth.keys).toEqual([])
    expect(c.webhooks).toEqual([])
  })

  it('layers rules: type defaults < defaults.rules < the channel’s rules, key by key', () => {
    const c = load([
      'defaults:',
      '  rules:',
      '    mandatory_tags: [billing, refund]',
      '    contact_first: false',
      '    rate: { per_recipient_per_second: 0.5 }',
      '    window: { duration: 12h, after: deny }',
      'channels:',
      '  tg:',
      '    type: telegram',
      '    token: "1:abc"',
      '    rules: { contact_first: true, rate: { per_second: 5 }, window: null }',
      '  line: { type: line, channel_access_token: a, channel_secret: b }',
      '  wa:',
      '    type: whatsapp',
      '    rules: { window: { duration: 48h }, max_unreplied_per_day: null }',
      '  mail:',
      '    type: email',
      '    smtp: { url: "smtp://mail.example:587" }',
      '    senders: [support@example.com]',
      '    rules: { window: false, mandatory_tags: true }',
    ])
    const tg = c.channels['tg']?.info.rules
    expect(tg?.contact_first).toBe(true) // channel over defaults.rules (false) over type (true)
    expect(tg?.rate).toEqual({ per_second: 5, per_recipient_per_second: 0.5 })
    expect(tg?.mandatory_tags).toEqual(['billing', 'refund'])
    expect(tg?.single_open_thread).toBe(true)
    expect(tg?.window).toBeNull()
    expect(c.channels['line']?.info.rules.window).toEqual({
      duration_ms: 12 * 3_600_000,
      after: 'deny',
    })
    const wa = c.channels['wa']?.info.rules
    // duration from the channel, `after` from defaults.rules (over the type's templates_only)
    expect(wa?.window).toEqual({ duration_ms: 48 * 3_600_000, after: 'deny' })
    expect(wa?.max_unreplied_per_day).toBeNull()
    expect(wa?.rate).toEqual({ per_second: 0.5, per_recipient_per_second: 0.5 })
    expect(wa?.contact_first).toBe(false)
    const mail = c.channels['mail']?.info.rules
    expect(mail?.window).toBeNull()
    expect(mail?.mandatory_tags).toBe(true)
    expect(mail?.allow_with_open_thread).toBe(true)
  })

  it('gives each type its defaults', () => {
    const c = load([
      'channels:',
      '  wc: { type: whatsapp-cloud, phone_number_id: 1, access_token: a, app_secret: b, verify_token: c }',
      '  wa: { type: whatsapp }',
      '  push: { type: webpush, secret: s }',
      '  sms: { type: webhook, url: "https://relay.example/", secret: s, address: phone }',
      '  line: { type: line, channel_access_token: a, channel_secret: b }',
    ])
    const info = (name: string) => c.channels[name]?.info
    expect(info('wc')?.rules.window).toEqual({ duration_ms: 86_400_000, after: 'templates_only' })
    expect(info('wc')?.rules.rate).toEqual({ per_second: 80, per_recipient_per_second: 1 })
    expect(info('wc')?.addressKind).toBe('phone')
    expect(info('wc')?.capabilities.nativeTemplates).toBe(true)
    expect(info('wa')?.rules.max_unreplied_per_day).toBe(50)
    expect(info('wa')?.rules.rate).toEqual({ per_second: 0.5, per_recipient_per_second: 0.2 })
    expect(info('push')?.rules.contact_first).toBe(true)
    expect(info('push')?.addressKind).toBe('push')
    expect(info('sms')?.addressKind).toBe('phone')
    expect(info('sms')?.rules.rate).toEqual({ per_second: 1000, per_recipient_per_second: 10 })
    expect(info('line')?.rules.rate).toEqual({ per_second: 100, per_recipient_per_second: 1 })
    expect(info('line')?.addressKind).toBe('line')
    expect(info('line')?.senders).toEqual([])
    expect(info('line')?.defaultSubject).toBeNull()
    expect(c.channels['sms']?.settings).toMatchObject({
      url: 'https://relay.example',
      timeout_ms: 30_000,
    })
    expect(c.channels['wc']?.settings).toMatchObject({
      phone_number_id: '1',
      graph_url: 'https://graph.facebook.com',
      api_version: 'v21.0',
      templates: {},
    })
    expect(c.channels['wa']?.settings).toMatchObject({ session: 'whatsapp' })
  })

  it('keeps settings typed: numbers from strings, sizes, per-channel timeout', () => {
    const c = load(
      [
        'server: { body_limit: 512kb, rate_limit: { per_second: "${RPS}" } }',
        'channels:',
        '  mail:',
        '    type: email',
        '    smtp: { url: "smtp://mail.example:587" }',
        '    senders: [a@example.com, b@example.com]',
        '    default_subject: Hello',
        '    timeout: 5s',
      ],
      { RPS: '12.5' },
    )
    expect(c.server.body_limit).toBe(524_288)
    expect(c.server.rate_limit.per_second).toBe(12.5)
    expect(c.channels['mail']?.settings['timeout_ms']).toBe(5000)
    expect(c.channels['mail']?.info.senders).toEqual(['a@example.com', 'b@example.com'])
    expect(c.channels['mail']?.info.defaultSubject).toBe('Hello')
  })
})

describe('environment variables', () => {
  it('substitutes ${VAR} and ${VAR:-default}', () => {
    const c = load(
      [
        'server:',
        '  listen: "${HOST:-0.0.0.0}:${PORT:-9000}"',
        '  public_url: "https://${DOMAIN}"',
      ],
      { PORT: '8443', DOMAIN: 'chat.example' },
    )
    expect(c.server.host).toBe('0.0.0.0')
    expect(c.server.port).toBe(8443)
    expect(c.server.public_url).toBe('https://chat.example')
  })

  it('disables a channel whose variable is missing, naming it, and keeps the others', () => {
    const c = load([
      'channels:',
      '  tg: { type: telegram, token: "${TELEGRAM_BOT_TOKEN}", mode: polling }',
      '  sms: { type: webhook, url: "https://relay.example", secret: "${SMS_SECRET:-dev}" }',
    ])
    const tg = c.channels['tg']
    expect(tg?.info.enabled).toBe(false)
    expect(tg?.info.disabledReason).toBe('environment variable TELEGRAM_BOT_TOKEN is not set')
    expect(tg?.missingVars).toEqual(['TELEGRAM_BOT_TOKEN'])
    // the disabled channel's settings keep what was given, without the missing value
    expect(tg?.settings).toMatchObject({ type: 'telegram', mode: 'polling' })
    expect(tg?.settings).not.toHaveProperty('token')
    expect(c.channels['sms']?.info.enabled).toBe(true)
    expect(c.channels['sms']?.settings['secret']).toBe('dev')
    expect(c.warnings).toContain(
      'channels.tg: disabled: environment variable TELEGRAM_BOT_TOKEN is not set',
    )
  })

  it('treats a variable set to the empty string as missing', () => {
    const c = load(['channels:', '  push: { type: webpush, secret: "${PUSH_SECRET}" }'], {
      PUSH_SECRET: '',
    })
    expect(c.channels['push']?.info.disabledReason).toBe(
      'environment variable PUSH_SECRET is empty',
    )
  })
})

describe('auth keys', () => {
  const admin = 'adm-0123456789abcdef'
  const agentHex = createHash('sha256').update('agent-key').digest('hex')

  it('hashes plaintext keys and reads sha256 hex', () => {
    const c = load(
      [
        'auth:',
        '  keys:',
        '    - { id: ops, name: Ops, role: admin, key: "${ADMIN_KEY}" }',
        `    - { id: alice, role: agent, sha256: "${agentHex.toUpperCase()}" }`,
      ],
      { ADMIN_KEY: admin },
    )
    expect(c.auth.keys).toEqual([
      {
        id: 'ops',
        name: 'Ops',
        role: 'admin',
        sha256: createHash('sha256').update(admin).digest(),
      },
      { id: 'alice', name: null, role: 'agent', sha256: Buffer.from(agentHex, 'hex') },
    ])
    expect(JSON.stringify(c)).not.toContain(admin)
  })

  it('drops a key whose plaintext is empty, with a warning', () => {
    const c = load([
      'auth:',
      '  keys:',
      '    - { id: ops, role: admin, key: "${OMNIGATE_ADMIN_KEY}" }',
      `    - { id: alice, role: agent, sha256: "${agentHex}" }`,
    ])
    expect(c.auth.keys.map((k) => k.id)).toEqual(['alice'])
    expect(c.warnings).toContain(
      'auth.keys[0]: OMNIGATE_ADMIN_KEY is not set; key `ops` is not active',
    )
  })

  it('rejects a key that is both or neither, and two entries with the same key', () => {
    const file = write([
      'auth:',
      '  keys:',
      `    - { id: a, role: admin, key: k, sha256: "${agentHex}" }`,
      '    - { id: b, role: app }',
      '    - { id: c, role: app, key: agent-key }',
      `    - { id: d, role: app, sha256: "${agentHex}" }`,
    ])
    expect(() => loadConfig(file, { env: {} })).toThrow(
      /:3:7: auth\.keys\[0\]: give exactly one[\s\S]*:4:7: auth\.keys\[1\]: give exactly one[\s\S]*:6:7: auth\.keys\[3\]: the same key as auth\.keys\[2\]/,
    )
  })
})

describe('overrides and the result', () => {
  it('--data moves the SQLite file’s folder and keeps its name; relative paths start at cwd', () => {
    const lines = ['store:', '  sqlite: ./var/gw.db']
    expect(load(lines).store).toEqual({
      sqlite: resolve('var/gw.db'),
      data_dir: resolve('var'),
      postgres: null,
    })
    expect(load(lines, {}, { dataDir: '/srv/omnigate' }).store).toEqual({
      sqlite: '/srv/omnigate/gw.db',
      data_dir: '/srv/omnigate',
      postgres: null,
    })
    expect(load(lines, {}, { dataDir: 'rel' }).store.sqlite).toBe(resolve('rel/gw.db'))
  })

  it('--listen replaces server.listen', () => {
    const c = load(['server: { listen: "127.0.0.1:8080" }'], {}, { listen: '[::1]:0' })
    expect([c.server.host, c.server.port]).toEqual(['::1', 0])
  })

  it('is deep-frozen', () => {
    const c = load([
      'auth: { keys: [{ id: a, role: admin, key: k }] }',
      'channels: { sms: { type: webhook, url: "https://r.example", secret: s } }',
    ])
    expect(Object.isFrozen(c)).toBe(true)
    expect(Object.isFrozen(c.server.rate_limit)).toBe(true)
    expect(Object.isFrozen(c.channels['sms']?.info.rules.rate)).toBe(true)
    expect(Object.isFrozen(c.channels['sms']?.info.limits.attachmentTypes)).toBe(true)
    expect(Object.isFrozen(c.auth.keys[0])).toBe(true)
    expect(() => {
      ;(c.server as { port: number }).port = 1
    }).toThrow(TypeError)
  })

  it('resolves templates and spells out "*" in webhook events', () => {
    const c = load([
      'templates:',
      '  hi: { text: "Hi {{first_name|there}}" }',
      'webhooks:',
      '  - { url: "https://app.example/hook", secret: s, events: ["*"] }',
      '  - { url: "https://app.example/other", secret: s, events: [bulk.done, bulk.done] }',
    ])
    expect(c.templates).toEqual({
      hi: { title: null, text: 'Hi {{first_name|there}}', signature: null },
    })
    expect(c.webhooks[0]?.events).toContain('thread.snoozed')
    expect(c.webhooks[0]?.events).not.toContain('*')
    expect(c.webhooks[1]).toEqual({
      url: 'https://app.example/other',
      secret: 's',
      events: ['bulk.done'],
      retry: { attempts: 30, backoff_max_ms: 3_600_000 },
    })
  })
})
