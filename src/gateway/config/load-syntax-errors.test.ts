import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadConfig } from './load.js'
import { ConfigError, type ConfigIssue } from './types.js'

const dir = mkdtempSync(join(tmpdir(), 'omnigate-config-syntax-'))
let n = 0

/** The issues loading `lines` gives (fails the test if it loads). */
function issuesOf(lines: string[]): ConfigIssue[] {
  const file = join(dir, `c${n++}.yaml`)
  writeFileSync(file, `${lines.join('\n')}\n`)
  try {
    loadConfig(file, { env: {} })
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return (e as ConfigError).issues
  }
  throw new Error('the config loaded')
}

/** [line, col, path] of each issue, for exact position checks. */
const where = (issues: ConfigIssue[]) => issues.map((i) => [i.line, i.col, i.path])

const SMS = ['channels:', '  sms:', '    type: webhook']

describe('YAML syntax errors are reported at the line with the mistake', () => {
  it('a key indented less than its siblings, between them: at that key, in its mapping', () => {
    const issues = issuesOf([
      ...SMS,
      '    # Where outbound messages are POSTed.',
      '  url: ${SMS_RELAY_URL}', // line 5: two spaces short
      '    # The HMAC key.',
      '    secret: s',
      '    address: phone',
    ])
    // Not `7:1: channels.url` (where the parser noticed) and not once per following key.
    expect(where(issues)).toEqual([[5, 3, 'channels.sms']])
    expect(issues[0]?.message).toBe(
      'YAML syntax: "url" is at column 3, but the keys of channels.sms are at column 5',
    )
  })

  it('a key one space short, or deeper than its siblings', () => {
    expect(where(issuesOf([...SMS, '   url: https://a.example', '    secret: s']))).toEqual([
      [4, 4, 'channels.sms'],
    ])
    expect(where(issuesOf([...SMS, '      url: https://a.example', '    secret: s']))).toEqual([
      [4, 7, 'channels.sms'],
    ])
  })

  it('a list item key out of line', () => {
    const issues = issuesOf([
      'auth:',
      '  keys:',
      '    - id: ops',
      '      role: admin',
      '     key: k',
    ])
    expect(where(issues)).toEqual([[5, 6, 'auth.keys[0]']])
  })

  it('a tab used for indentation: at the tab, naming the key on that line', () => {
    const mid = issuesOf([...SMS, '\turl: https://a.example', '    secret: s'])
    expect(where(mid)).toEqual([[4, 1, 'channels.sms.url']])
    expect(mid[0]?.message).toBe(
      'YAML syntax: a tab indents this line; YAML indents with spaces only',
    )
    // Not the key of the line before (`channels.sms.type`, `channels.sms.secret`).
    expect(where(issuesOf([...SMS, '    secret: s', '\turl: https://a.example']))).toEqual([
      [5, 1, 'channels.sms.url'],
    ])
    expect(where(issuesOf(['channels:', '  sms:', '\ttype: webhook', '    url: x']))).toEqual([
      [3, 1, 'channels.sms.type'],
    ])
  })

  it('a missing colon: at the line, in the mapping it is in', () => {
    const first = issuesOf([
      'channels:',
      '  sms:',
      '    type webhook',
      '    url: https://a.example',
    ])
    expect(where(first)).toEqual([[3, 5, 'channels.sms']])
    expect(first[0]?.message).toMatch(/^YAML syntax: this line is not "key: value"/)
    const last = issuesOf([...SMS, '    url https://a.example', '  tg:', '    type: telegram'])
    expect(where(last)).toEqual([[4, 5, 'channels.sms']])
    // On a block's key, the lines below it are not reported as misindented as well.
    const block = issuesOf(['channels:', '  sms', '    type: webhook', '    url: x'])
    expect(where(block)).toEqual([[2, 3, 'channels']])
  })

  it('an unclosed quote: at the opening quote, not at the end of the file', () => {
    const double = issuesOf([
      ...SMS,
      '    url: "https://a.example',
      '    secret: s',
      'templates: {}',
    ])
    expect(where(double)).toEqual([[4, 10, 'channels.sms.url']])
    expect(double[0]?.message).toBe('YAML syntax: the " opened here is never closed (a missing ")')
    const single = issuesOf([...SMS, "    url: 'https://a.example", '    secret: s'])
    expect(where(single)).toEqual([[4, 10, 'channels.sms.url']])
  })

  it('an unclosed flow map, at its {', () => {
    const issues = issuesOf(['channels:', '  sms: { type: webhook, url: x', '  tg:', '    type: t'])
    expect(where(issues)).toEqual([[2, 8, 'channels.sms']])
  })

  it('mistakes in two sections are both reported, each once', () => {
    const issues = issuesOf([
      'server:',
      '  listen: 127.0.0.1:8080',
      '   public_url: http://localhost:8080',
      ...SMS,
      '  url: https://a.example',
      '    secret: s',
    ])
    expect(where(issues)).toEqual([
      [3, 4, 'server'],
      [7, 3, 'channels.sms'],
    ])
  })

  it('a block whose first key is off the usual step: that first key', () => {
    const issues = issuesOf([
      'server:',
      '  rate_limit:',
      '   per_second: 200',
      '    burst: 400',
      '  listen: 127.0.0.1:8080',
    ])
    expect(where(issues)).toEqual([[3, 4, 'server.rate_limit']])
  })

  it('a key meant inside the block above it, left at its column', () => {
    const issues = issuesOf([
      'channels:',
      '  mail:',
      '  type: email',
      '    smtp: { url: "smtp://x" }',
      '    senders: [a@example.com]',
    ])
    expect(where(issues)).toEqual([[3, 3, 'channels.mail']])
  })

  it('a list item among keys, and a comment that lost its #', () => {
    const item = issuesOf([
      'server:',
      '  listen: 127.0.0.1:8080',
      '  - public_url: x',
      '  body_limit: 1mb',
    ])
    expect(where(item)).toEqual([[3, 3, 'server']])
    expect(item[0]?.message).toMatch(/a list item \("- "\)/)
    const prose = issuesOf([...SMS, 'Where outbound messages go.', '    url: https://a.example'])
    expect(where(prose)).toEqual([[4, 1, 'channels.sms']])
  })

  it('never quotes a line without a colon (it may be a pasted secret)', () => {
    const issues = issuesOf([
      'channels:',
      '  tg:',
      '    type: telegram',
      '    123456789:AAH-s3cr3t-bot-token',
    ])
    expect(where(issues)).toEqual([[4, 5, 'channels.tg']])
    expect(issues[0]?.message).not.toMatch(/s3cr3t/)
  })
})

describe('the shipped gateway.config.yaml with one mistake', () => {
  const sample = readFileSync(resolve(import.meta.dirname, '../../../gateway.config.yaml'), 'utf8')
  const lines = sample.split('\n')
  const urlLine = lines.findIndex((l) => l === '    url: ${SMS_RELAY_URL}')

  it('is found (this test edits that line)', () => {
    expect(urlLine).toBeGreaterThan(0)
  })

  it('a misindented url: is reported once, at its line and column 3, in channels.sms', () => {
    const edited = lines.map((l, i) => (i === urlLine ? l.replace(/^ {4}/, '  ') : l))
    expect(where(issuesOf(edited))).toEqual([[urlLine + 1, 3, 'channels.sms']])
  })

  it('a tab before url: is reported once, at the tab, naming channels.sms.url', () => {
    const edited = lines.map((l, i) => (i === urlLine ? l.replace(/^ {4}/, '\t') : l))
    expect(where(issuesOf(edited))).toEqual([[urlLine + 1, 1, 'channels.sms.url']])
  })
})

describe('any one-character slip in the sample', () => {
  it('is a ConfigError with positions inside the file, or loads', () => {
    const file = resolve(import.meta.dirname, '../../../gateway.config.yaml')
    const text = readFileSync(file, 'utf8')
    const lineCount = text.split('\n').length
    fc.assert(
      fc.property(
        fc.nat(text.length - 1),
        fc.constantFrom('', ' ', '\t', ':', '"', "'", '[', '{', '-', '#', '\n'),
        fc.boolean(),
        (at, ch, replace) => {
          const slipped = text.slice(0, at) + ch + text.slice(replace ? at + 1 : at)
          const target = join(dir, 'slip.yaml')
          writeFileSync(target, slipped)
          try {
            loadConfig(target, { env: {} })
          } catch (e) {
            if (!(e instanceof ConfigError)) throw e
            for (const i of e.issues) {
              expect(i.line).toBeGreaterThanOrEqual(1)
              expect(i.line).toBeLessThanOrEqual(lineCount + 1)
              expect(i.col).toBeGreaterThanOrEqual(1)
            }
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})
