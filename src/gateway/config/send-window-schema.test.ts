import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from './load.js'
import { ConfigError, type ConfigIssue } from './types.js'

const dir = mkdtempSync(join(tmpdir(), 'omnigate-send-window-'))
let n = 0

function load(window: string) {
  const file = join(dir, `c${n++}.yaml`)
  const lines = [
    'channels:',
    '  sms:',
    '    type: webhook',
    '    url: http://127.0.0.1:9/out',
    '    secret: s',
    '    address: phone',
    '    rules:',
    `      send_window: ${window}`,
  ]
  writeFileSync(file, `${lines.join('\n')}\n`)
  return { file, load: () => loadConfig(file, { env: {} }) }
}

function issuesOf(window: string): ConfigIssue[] {
  const c = load(window)
  try {
    c.load()
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return (e as ConfigError).issues
  }
  throw new Error('the config loaded')
}

describe('send_window in the config', () => {
  it('resolves hours, days and zones', () => {
    const cfg = load('{ hours: "08:00-21:00", timezone: contact, days: mon-fri }').load()
    expect(cfg.channels.sms?.info.rules.send_window).toEqual({
      start: 480,
      end: 1260,
      days: [1, 2, 3, 4, 5],
      timezone: 'contact',
      fallback: 'UTC',
    })
    const berlin = load('{ hours: "09:00-17:00", timezone: Europe/Berlin }').load()
    expect(berlin.channels.sms?.info.rules.send_window).toMatchObject({
      timezone: 'Europe/Berlin',
      days: [0, 1, 2, 3, 4, 5, 6],
    })
  })

  it.each([
    ['{ hours: "25:00-26:00", timezone: UTC }', 'hours'],
    ['{ hours: "21:00-08:00", timezone: UTC }', 'hours'],
    ['{ hours: "08:00-21:00", timezone: Mars/Olympus }', 'timezone'],
    ['{ hours: "08:00-21:00", timezone: contact, days: weekdays }', 'days'],
    [
      '{ hours: "08:00-21:00", timezone: contact, fallback_timezone: Nowhere }',
      'fallback_timezone',
    ],
  ])('%s → an error at line 8 naming %s', (window, key) => {
    const issues = issuesOf(window)
    expect(issues.length).toBeGreaterThan(0)
    const issue = issues.find((i) => i.path.startsWith('channels.sms.rules.send_window'))
    expect(issue?.line).toBe(8)
    expect(`${issue?.path} ${issue?.message}`).toContain(key)
  })
})
