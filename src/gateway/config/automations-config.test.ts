/**
 * `business_hours:` and `automations:` in the config (DESIGN §14): what they resolve to, and each
 * mistake as `file:line:col: key.path: message` — an unknown trigger, a bad duration, `25:00`, an
 * unknown template, an unknown channel in `if.channel`, `thread.silent` without `after`, a
 * duplicate name.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from './load.js'
import { ConfigError, type ConfigIssue } from './types.js'

const dir = mkdtempSync(join(tmpdir(), 'omnigate-automations-config-'))
let n = 0

function write(body: string): string {
  const file = join(dir, `c${n++}.yaml`)
  writeFileSync(file, body)
  return file
}

const BASE = `channels:
  tg: { type: webhook, url: "http://127.0.0.1:9/x", secret: "s3cr3t-value-long-enough-123" }
  wa: { type: webhook, url: "http://127.0.0.1:9/y", secret: "s3cr3t-value-long-enough-123" }
templates:
  greeting: { text: "Hi {{first_name|there}}" }
auth:
  keys:
    - { id: alice, role: agent, sha256: "${'a'.repeat(64)}" }
`

function issuesOf(body: string): ConfigIssue[] {
  try {
    loadConfig(write(BASE + body), { env: {} })
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return (e as ConfigError).issues
  }
  throw new Error('the config loaded')
}

const where = (issues: ConfigIssue[]) => issues.map((i) => [i.line, i.col, i.path, i.message])

describe('automations in the config', () => {
  it('resolves business hours and automations', () => {
    const config = loadConfig(
      write(
        BASE +
          `business_hours: { timezone: Europe/Berlin, mon-fri: "09:00-17:30", sat: "10:00-14:00", holidays: [2026-12-24] }
automations:
  - name: greet
    on: webchat.opened
    if: { first_visit: true }
    send: { template: greeting }
  - name: away
    on: message.inbound
    if: { outside_business_hours: true }
    send: { text: "Thanks {{first_name|}}! We're back at {{next_open}}." }
    once_per: 12h
  - name: nudge
    on: thread.silent
    after: 24h
    if: { channel: [wa, tg], tag: [billing] }
    tag: [nudged]
    assign: alice
`,
      ),
      { env: {} },
    )
    const bh = config.business_hours
    expect(bh?.timezone).toBe('Europe/Berlin')
    expect(bh?.days).toEqual([
      null,
      ...Array(5).fill({ start: 540, end: 1050 }),
      { start: 600, end: 840 },
    ])
    expect([...(bh?.holidays ?? [])]).toEqual(['2026-12-24'])
    expect(config.automations.map((a) => [a.name, a.on, a.afterMs, a.oncePerMs])).toEqual([
      ['greet', 'webchat.opened', null, null],
      ['away', 'message.inbound', null, 12 * 3600_000],
      ['nudge', 'thread.silent', 24 * 3600_000, null],
    ])
    expect(config.automations[2]).toMatchObject({
      if: { channel: ['wa', 'tg'], tag: ['billing'], first_visit: null },
      send: null,
      tag: ['nudged'],
      assign: 'alice',
    })
    expect(config.automations[0]?.send).toEqual({ template: 'greeting' })
  })

  it('none given: no business hours, no automations', () => {
    const config = loadConfig(write(BASE), { env: {} })
    expect(config.business_hours).toBeNull()
    expect(config.automations).toEqual([])
  })

  it('names each mistake at its line and key path', () => {
    const issues = issuesOf(`business_hours: { timezone: Europe/Berlin, mon-fri: "09:00-25:00" }
automations:
  - name: greet
    on: webchat.openned
    send: { template: greting }
  - name: greet
    on: thread.silent
    send: { text: "hi" }
  - name: nudge
    on: thread.silent
    after: 24x
    if: { channel: [wa, sms] }
    send: { text: "back at {{next_open}}" }
`)
    const found = where(issues)
    const at = (path: string) => found.filter((f) => f[2] === path)
    expect(at('business_hours.mon-fri')[0]).toEqual([
      9,
      53,
      'business_hours.mon-fri',
      expect.stringMatching(/HH:MM-HH:MM/),
    ])
    expect(at('automations[0].on')[0]).toEqual([
      12,
      9,
      'automations[0].on',
      expect.stringMatching(/message\.inbound, thread\.silent, webchat\.opened, thread\.closed/),
    ])
    expect(at('automations[0].send.template')[0]?.slice(0, 2)).toEqual([13, 23])
    expect(at('automations[0].send.template')[0]?.[3]).toMatch(/template "greting" is not/)
    expect(at('automations[1].name')[0]?.[3]).toMatch(/duplicate name "greet"/)
    expect(at('automations[1].after')[0]?.[3]).toMatch(/required key "after" is missing/)
    expect(at('automations[2].after')[0]?.slice(0, 2)).toEqual([19, 12])
    expect(at('automations[2].after')[0]?.[3]).toMatch(/not a duration/)
    expect(at('automations[2].if.channel[1]')[0]?.[3]).toMatch(/unknown channel "sms"/)
  })

  it('{{next_open}} and outside_business_hours need business_hours; an action is required', () => {
    const issues = issuesOf(`automations:
  - name: away
    on: message.inbound
    if: { outside_business_hours: true }
    send: { text: "back {{next_open}}" }
  - name: idle
    on: thread.closed
  - name: both
    on: thread.closed
    after: 1h
    send: { text: "a", template: greeting }
    assign: nobody
`)
    const messages = issues.map((i) => `${i.path}: ${i.message}`)
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^automations\[0\]\.if\.outside_business_hours: needs business_hours/,
        ),
        expect.stringMatching(/^automations\[0\]\.send: \{\{next_open\}\} needs business_hours/),
        expect.stringMatching(/^automations\[1\]: give at least one action/),
        expect.stringMatching(/^automations\[2\]\.after: after applies to on: thread\.silent only/),
        expect.stringMatching(/^automations\[2\]\.send: give exactly one of text and template/),
        expect.stringMatching(/^automations\[2\]\.assign: "nobody" is not the id of an agent/),
      ]),
    )
  })

  it('a day given twice and an unknown day key', () => {
    const issues = issuesOf(
      `business_hours: { timezone: Europe/Berlin, mon-fri: "09:00-17:00", fri: "09:00-12:00", funday: "10:00-11:00" }\n`,
    )
    const messages = issues.map((i) => `${i.path}: ${i.message}`)
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^business_hours\.fri: .*also in "mon-fri"/),
        expect.stringMatching(/^business_hours\.funday: unknown key "funday"/),
      ]),
    )
  })
})
