import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkConfig, loadConfig } from './load.js'
import { ConfigError, type ConfigIssue } from './types.js'

const dir = mkdtempSync(join(tmpdir(), 'omnigate-config-errors-'))
let n = 0

function write(lines: string[]): string {
  const file = join(dir, `c${n++}.yaml`)
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

/** The issues loading `lines` gives (fails the test if it loads). */
function issuesOf(lines: string[], env: NodeJS.ProcessEnv = {}): ConfigIssue[] {
  const file = write(lines)
  try {
    loadConfig(file, { env })
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    const issues = (e as ConfigError).issues
    for (const i of issues) expect(i.file).toBe(file)
    return issues
  }
  throw new Error('the config loaded')
}

/** [line, col, path] of each issue, for exact position checks. */
const where = (issues: ConfigIssue[]) => issues.map((i) => [i.line, i.col, i.path])

describe('config errors name file:line:col and the key path', () => {
  it('an unknown key, listing the allowed ones', () => {
    const issues = issuesOf(['server:', '  listen: 127.0.0.1:8080', '  fo: 1'])
    expect(where(issues)).toEqual([[3, 3, 'server.fo']])
    expect(issues[0]?.message).toMatch(
      /^unknown key "fo" \(allowed: listen, public_url, body_limit, rate_limit\)$/,
    )
  })

  it('a bad duration', () => {
    const issues = issuesOf([
      'channels:',
      '  wa:',
      '    type: whatsapp',
      '    rules:',
      '      window: { duration: 24 hours, after: deny }',
    ])
    expect(where(issues)).toEqual([[5, 27, 'channels.wa.rules.window.duration']])
    expect(issues[0]?.message).toBe('"24 hours" is not a duration (e.g. 24h, 90m)')
  })

  it('a wrong type', () => {
    const issues = issuesOf(['dispatcher:', '  batch: abc', '  max_attempts: true'])
    expect(where(issues)).toEqual([
      [2, 10, 'dispatcher.batch'],
      [3, 17, 'dispatcher.max_attempts'],
    ])
    expect(issues[0]?.message).toMatch(/expected a whole number, got "abc"/)
    expect(issues[1]?.message).toMatch(/got true/)
  })

  it('a bad enum value', () => {
    const issues = issuesOf([
      'channels:',
      '  tg:',
      '    type: telegram',
      '    token: "1:abc"',
      '    mode: push',
    ])
    expect(where(issues)).toEqual([[5, 11, 'channels.tg.mode']])
    expect(issues[0]?.message).toMatch(/must be one of polling, webhook/)
  })

  it('a missing required key, at the key naming its parent map', () => {
    const issues = issuesOf(['channels:', '  line:', '    type: line', '    channel_secret: s'])
    expect(where(issues)).toEqual([[2, 3, 'channels.line.channel_access_token']])
    expect(issues[0]?.message).toMatch(/"channel_access_token" is missing/)
  })

  it('a missing key inside a list item, at the item', () => {
    const issues = issuesOf(['auth:', '  keys:', '    - { id: ops, key: k }'])
    expect(where(issues)).toEqual([[3, 7, 'auth.keys[0].role']])
  })

  it('an unknown channel type and a channel without type', () => {
    const issues = issuesOf([
      'channels:',
      '  x:',
      '    type: sms',
      '  y:',
      '    url: https://a.example',
    ])
    expect(where(issues)).toEqual([
      [3, 11, 'channels.x.type'],
      [4, 3, 'channels.y.type'],
    ])
    expect(issues[0]?.message).toMatch(/"sms" .*telegram, line/)
  })

  it('a template reference that names no template', () => {
    const issues = issuesOf([
      'channels:',
      '  wa-cloud:',
      '    type: whatsapp-cloud',
      '    phone_number_id: 1234567890',
      '    access_token: a',
      '    app_secret: b',
      '    verify_token: c',
      '    templates:',
      '      refund_update: { name: refund_update, language: en_US }',
      '      refund_updat: { name: refund_update, language: en }',
      'templates:',
      '  refund_update: { text: "Hi" }',
    ])
    expect(where(issues)).toEqual([[10, 7, 'channels.wa-cloud.templates.refund_updat']])
    expect(issues[0]?.message).toMatch(/"refund_updat".*defined: refund_update/)
  })

  it('a YAML syntax error', () => {
    const issues = issuesOf(['server:', '  listen: 127.0.0.1:8080', 'channels: [tg', ''])
    expect(issues).toHaveLength(1)
    expect(issues[0]?.message).toMatch(/^YAML syntax: the \[ opened here is never closed/)
    // At the `[` left open, not at the end of the file where the parser noticed it.
    expect(where(issues)).toEqual([[3, 11, 'channels']])
  })

  it('a duplicate key is a syntax error at the second one', () => {
    const issues = issuesOf(['server:', '  listen: 127.0.0.1:8080', '  listen: 127.0.0.1:9090'])
    expect(where(issues)).toEqual([[3, 3, 'server.listen']])
    expect(issues[0]?.message).toMatch(/unique/)
  })

  it('several errors at once, in file order', () => {
    const issues = issuesOf([
      'server:',
      '  listen: localhost',
      'security:',
      '  attachment_link_ttl: soon',
      'auth:',
      '  keys:',
      '    - { id: ops, role: admin, key: a }',
      '    - { id: ops, role: root, key: b }',
      'channels:',
      '  Shop:',
      '    type: webhook',
      '    url: https://a.example',
      '    secret: s',
      'webhooks:',
      '  - { url: https://b.example, secret: s, events: [] }',
    ])
    expect(where(issues)).toEqual([
      [2, 11, 'server.listen'],
      [4, 24, 'security.attachment_link_ttl'],
      [8, 13, 'auth.keys[1].id'],
      [8, 24, 'auth.keys[1].role'],
      [10, 3, 'channels.Shop'],
      [15, 50, 'webhooks[0].events'],
    ])
    const err = (() => {
      try {
        loadConfig(write(['server:', '  listen: localhost']), { env: {} })
      } catch (e) {
        return e as Error
      }
      return null
    })()
    expect(err?.message).toMatch(/c\d+\.yaml:2:11: server\.listen: "localhost" is not host:port/)
  })

  it('a missing variable outside channels, naming it and the key', () => {
    const issues = issuesOf([
      'webhooks:',
      '  - url: https://a.example',
      '    secret: ${EVENTS_SECRET}',
      '    events: ["*"]',
    ])
    expect(where(issues)).toEqual([[3, 13, 'webhooks[0].secret']])
    expect(issues[0]?.message).toBe('environment variable EVENTS_SECRET is not set')
  })

  it('an API key only partly substituted (an empty key is "not active"; a partial one is an error)', () => {
    const issues = issuesOf([
      'auth:',
      '  keys:',
      '    - { id: ops, role: admin, key: "pre-${KEY_PART}" }',
    ])
    expect(where(issues)).toEqual([[3, 36, 'auth.keys[0].key']])
    expect(issues[0]?.message).toBe('environment variable KEY_PART is not set')
  })

  it('a malformed variable reference', () => {
    const issues = issuesOf(['server:', '  public_url: "https://${HOST"'])
    expect(where(issues)).toEqual([[2, 15, 'server.public_url']])
  })

  it('a disabled channel still reports its other mistakes', () => {
    const issues = issuesOf([
      'channels:',
      '  tg:',
      '    type: telegram',
      '    token: ${TELEGRAM_BOT_TOKEN}',
      '    mode: hook',
    ])
    expect(where(issues)).toEqual([[5, 11, 'channels.tg.mode']])
  })

  it('a window without a duration on a type that has no default one', () => {
    const issues = issuesOf([
      'defaults:',
      '  rules:',
      '    window: { after: deny }',
      'channels:',
      '  wa: { type: whatsapp }',
      '  sms: { type: webhook, url: "https://a.example", secret: s }',
    ])
    expect(where(issues)).toEqual([[3, 13, 'defaults.rules.window']])
    expect(issues[0]?.message).toMatch(/"sms" is webhook/)
  })

  it('telegram webhook mode needs an https public_url and a webhook_secret', () => {
    const issues = issuesOf([
      'channels:',
      '  tg:',
      '    type: telegram',
      '    token: "1:abc"',
      '    mode: webhook',
    ])
    expect(where(issues)).toEqual([
      [2, 3, 'channels.tg.webhook_secret'],
      [5, 11, 'channels.tg.mode'],
    ])
  })

  it('an invalid --listen override', () => {
    const file = write(['server:', '  listen: 127.0.0.1:8080'])
    expect(() => loadConfig(file, { env: {}, listen: 'nope' })).toThrow(
      /server\.listen: --listen "nope"/,
    )
  })

  it('an empty file and a missing file', () => {
    expect(() => loadConfig(write(['# nothing']), { env: {} })).toThrow(ConfigError)
    expect(() => loadConfig(join(dir, 'absent.yaml'), { env: {} })).toThrow(
      /cannot read the file \(ENOENT\)/,
    )
  })
})

describe('secrets stay out of error messages', () => {
  it('never quotes a secret value, even a mistyped one', () => {
    const issues = issuesOf(
      [
        'auth:',
        '  keys:',
        '    - { id: ops, role: admin, key: 987654321 }',
        'channels:',
        '  tg: { type: telegram, token: "${TG}" }',
        '  mail:',
        '    type: email',
        '    smtp: { url: "http://user:hunter2@mail.example" }',
        '    senders: [a@example.com]',
      ],
      { TG: 'not-a-token-s3cr3t' },
    )
    expect(where(issues)).toEqual([
      [3, 36, 'auth.keys[0].key'],
      [5, 32, 'channels.tg.token'],
      [8, 18, 'channels.mail.smtp.url'],
    ])
    const text = issues.map((i) => i.message).join('\n')
    expect(text).not.toMatch(/987654321|s3cr3t|hunter2/)
  })
})

describe('checkConfig', () => {
  it('prints every error and fails', () => {
    const r = checkConfig(write(['server:', '  fo: 1', '  listen: x']), {})
    expect(r.ok).toBe(false)
    expect(r.text).toMatch(/:2:3: server\.fo: unknown key/)
    expect(r.text).toMatch(/:3:11: server\.listen: /)
    expect(r.text).toMatch(/2 errors/)
  })

  it('prints ok with the warnings, each disabled channel naming its variable', () => {
    const r = checkConfig(
      write(['channels:', '  tg: { type: telegram, token: "${TG_TOKEN}" }']),
      {},
    )
    expect(r.ok).toBe(true)
    expect(r.text).toMatch(/^ok: /)
    expect(r.text).toMatch(/channels\.tg: disabled: environment variable TG_TOKEN is not set/)
  })
})
