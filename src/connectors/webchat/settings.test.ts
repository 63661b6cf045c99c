/**
 * The `webchat` channel block (DESIGN §12): defaults, `fallback.after` (a duration or `off`), and
 * the cross-checks naming a fallback channel that is missing or of the wrong type, each with
 * file:line:col and the key path.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../gateway/config/load.js'
import { ConfigError, type ConfigIssue } from '../../gateway/config/types.js'

const dir = mkdtempSync(join(tmpdir(), 'omnigate-webchat-settings-'))
let n = 0
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function load(lines: string[], env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, `c${n++}.yaml`)
  writeFileSync(file, `${lines.join('\n')}\n`)
  return loadConfig(file, { env })
}

function issuesOf(lines: string[]): ConfigIssue[] {
  try {
    load(lines)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return (e as ConfigError).issues
  }
  throw new Error('the config loaded')
}

const base = [
  'channels:',
  '  push:',
  '    type: webpush',
  '    secret: p',
  '  mail:',
  '    type: email',
  '    smtp: { url: "smtp://127.0.0.1:2525" }',
  '    senders: [support@example.com]',
  '  site:',
  '    type: webchat',
  '    secret: ${WEBCHAT_SECRET}',
]

describe('webchat settings', () => {
  it('defaults: fallback after 10m, contact_first, address kind any; ${VAR} secret', () => {
    const c = load([...base, '    allowed_origins: [https://Shop.example]'], {
      WEBCHAT_SECRET: 's3cret',
    })
    const site = c.channels.site!
    expect(site.enabled).toBe(true)
    expect(site.info).toMatchObject({ type: 'webchat', addressKind: 'any' })
    expect(site.info.rules.contact_first).toBe(true)
    if (!site.enabled || site.settings.type !== 'webchat') throw new Error('not webchat')
    expect(site.settings.secret).toBe('s3cret')
    expect(site.settings.allowed_origins).toEqual(['https://shop.example'])
    expect(site.settings.fallback).toEqual({ after: 600_000 })
  })

  it('fallback names, after: off, and a missing secret variable disables the channel', () => {
    const on = load([...base, '    fallback: { push: push, email: mail, after: 30m }'], {
      WEBCHAT_SECRET: 's',
    }).channels.site!
    if (!on.enabled || on.settings.type !== 'webchat') throw new Error('not webchat')
    expect(on.settings.fallback).toEqual({ push: 'push', email: 'mail', after: 1_800_000 })
    const off = load([...base, '    fallback: { email: mail, after: off }'], {
      WEBCHAT_SECRET: 's',
    }).channels.site!
    if (!off.enabled || off.settings.type !== 'webchat') throw new Error('not webchat')
    expect(off.settings.fallback.after).toBeNull()
    const disabled = load(base).channels.site!
    expect(disabled.enabled).toBe(false)
    expect(disabled.info.disabledReason).toMatch(/WEBCHAT_SECRET/)
  })

  it('a fallback channel that does not exist, or is of the wrong type, is an error at its key', () => {
    const issues = issuesOf([...base, '    fallback: { push: mail, email: nowhere, after: soon }'])
    const at = issues.map((i) => [i.line, i.path, i.message])
    expect(at).toEqual(
      expect.arrayContaining([
        [12, 'channels.site.fallback.push', expect.stringMatching(/"mail" is email; .*webpush/)],
        [
          12,
          'channels.site.fallback.email',
          expect.stringMatching(/"nowhere" is not in channels.*mail/),
        ],
        [12, 'channels.site.fallback.after', expect.stringMatching(/duration .* or off/)],
      ]),
    )
    for (const i of issues) expect(i.file).toMatch(/c\d+\.yaml$/)
  })

  it('an allowed origin with a path is refused', () => {
    const issues = issuesOf([...base, '    allowed_origins: [https://shop.example/chat]'])
    expect(issues.map((i) => i.path)).toEqual(['channels.site.allowed_origins[0]'])
  })
})
