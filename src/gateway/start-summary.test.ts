import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ChannelView } from './channels/registry.js'
import { loadConfig } from './config/load.js'
import type { ResolvedConfig } from './config/types.js'
import { renderStartSummary, summarise, type StartSummary } from './start-summary.js'

const sample = resolve(import.meta.dirname, '../../gateway.config.yaml')

/** The registry's view of a config whose channels have all started (or stayed disabled). */
const views = (config: ResolvedConfig): ChannelView[] =>
  Object.values(config.channels).map((c) => ({
    name: c.info.name,
    type: c.info.type,
    state: c.info.enabled ? 'connected' : 'disabled',
    detail: c.info.disabledReason ?? null,
    rules: c.info.rules,
  }))

function base(over: Partial<StartSummary> = {}): StartSummary {
  return {
    listen: { host: '127.0.0.1', port: 8080 },
    publicUrl: 'http://localhost:8080',
    configFile: '/srv/og/gateway.config.yaml',
    store: '/srv/og/data/omnigate.db',
    dataDir: '/srv/og/data',
    channels: [],
    keys: [],
    inactiveKeys: [],
    command: 'npm start',
    ...over,
  }
}

describe('the start summary', () => {
  it('of the shipped config with no variables set: every channel says what it waits for', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'omnigate-summary-'))
    const config = loadConfig(sample, { env: {}, dataDir })
    const text = renderStartSummary(
      summarise(config, views(config), { port: 8080, command: 'npm start' }),
    )
    const lines = text.split('\n')
    expect(lines[0]).toBe(
      'omnigate is serving on http://127.0.0.1:8080 (public URL http://localhost:8080)',
    )
    expect(text).toContain(`  config     ${sample}\n`)
    expect(text).toContain(`  store      SQLite file ${join(dataDir, 'omnigate.db')}\n`)
    expect(text).toContain(`  data       ${dataDir}\n`)
    expect(text).toContain('  channels   7 (0 on, 7 disabled)\n')
    expect(lines).toContain('    tg        telegram        disabled  (set TELEGRAM_BOT_TOKEN)')
    expect(lines).toContain(
      '    sms       webhook         disabled  (set SMS_RELAY_URL, SMS_RELAY_SECRET)',
    )
    // No key is active: both ways to get one, the config file named, the variable ops waits for.
    expect(text).toContain('none active')
    expect(lines).toContain('               npx omnigate keys new --id you --role admin')
    expect(text).toContain(`under auth.keys in ${sample}`)
    expect(lines).toContain('               OMNIGATE_ADMIN_KEY=… npm start')
  })

  it('lists active keys by id and role, never the key, and no how-to', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'omnigate-summary-'))
    const key = 'a-plaintext-admin-key-0123456789'
    const config = loadConfig(sample, {
      env: {
        OMNIGATE_ADMIN_KEY: key,
        SMS_RELAY_URL: 'https://relay.example',
        SMS_RELAY_SECRET: 's3',
      },
      dataDir,
    })
    const text = renderStartSummary(
      summarise(config, views(config), { port: 9090, command: 'npm start' }),
    )
    expect(text).toContain('  API keys   ops (admin)\n')
    expect(text).not.toContain(key)
    expect(text).not.toContain('keys new')
    expect(text).toContain('    sms       webhook         connected\n')
    expect(text).toContain('  channels   7 (1 on, 6 disabled)\n')
  })

  it('shows a channel in error with its reason, keys waiting for a variable, and IPv6', () => {
    const text = renderStartSummary(
      base({
        listen: { host: '::1', port: 8443 },
        channels: [
          {
            name: 'mail',
            type: 'email',
            state: 'error',
            detail: 'SMTP: auth refused',
            missingVars: [],
          },
          { name: 'tg', type: 'telegram', state: 'connecting', detail: null, missingVars: [] },
        ],
        keys: [{ id: 'shop', role: 'app' }],
        inactiveKeys: [{ id: 'ops', role: 'admin', vars: ['OPS_KEY'] }],
      }),
    )
    expect(text.split('\n')[0]).toBe(
      'omnigate is serving on http://[::1]:8443 (public URL http://localhost:8080)',
    )
    expect(text).toContain('    mail  email     error       (SMTP: auth refused)\n')
    expect(text).toContain('    tg    telegram  connecting\n')
    expect(text).toContain(
      '  API keys   shop (app)\n             not active: ops (admin, waits for OPS_KEY)\n',
    )
  })

  it('with no key in the file at all: only the keys new how-to', () => {
    const text = renderStartSummary(base({ command: 'omnigate serve --config /srv/og/x.yaml' }))
    expect(text).toContain('  channels   none configured\n')
    expect(text).toContain('npx omnigate keys new --id you --role admin')
    expect(text).not.toContain('=…')
  })
})
