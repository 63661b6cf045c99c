/**
 * The examples of README.md and docs/** stay true (markers: test/docs/markdown-blocks.ts; the API
 * examples are replayed by api-examples.test.ts):
 * - every ```yaml block loads with the real config loader (dummy values for its `${VAR}`s);
 * - every ```json block parses; one right after a `→ 200`-style line must say what it shows;
 * - ids look like real ids (`ct_`, `th_`, `msg_` … and a lower-case ULID).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { loadConfig } from '../../src/gateway/config/load.js'
import { configSchema } from '../../src/gateway/config/schema.js'
import { ConfigError } from '../../src/gateway/config/types.js'
import { ID_PREFIXES } from '../../src/gateway/ids.js'
import {
  allBlocks,
  docFiles,
  parseMarker,
  readDoc,
  where,
  wrapFragment,
} from './markdown-blocks.js'

const BLOCKS = allBlocks()
const of = (lang: string) =>
  BLOCKS.filter((b) => b.lang === lang).map((b) => [where(b), b] as const)

const tmp = mkdtempSync(join(tmpdir(), 'omnigate-docs-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('```yaml examples load with the real config loader', () => {
  const SECTIONS = new Set(Object.keys(configSchema.shape))
  // Values of the right format where a key checks one; anything else gets a plain string.
  const DUMMY: Record<string, string> = {
    TELEGRAM_BOT_TOKEN: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
    TELEGRAM_WEBHOOK_SECRET: 'docs_webhook_secret',
    SMTP_URL: 'smtp://support%40example.com:password@127.0.0.1:587',
    IMAP_URL: 'imaps://support%40example.com:password@127.0.0.1:993',
    WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
    SMS_RELAY_URL: 'http://127.0.0.1:3000/omnigate/outbound',
    DATABASE_URL: 'postgres://omnigate:password@127.0.0.1:5432/omnigate',
  }
  let n = 0

  it.each(of('yaml'))('%s', (_, b) => {
    const marker = parseMarker(b.marker)
    if (marker.kind === 'not-config') {
      expect(marker.reason.length, 'a not-config marker gives its reason').toBeGreaterThan(10)
      return
    }
    expect(['none', 'config-fragment'], `${where(b)}: marker on yaml`).toContain(marker.kind)
    let text = b.text
    if (marker.kind === 'config-fragment') text = wrapFragment(text, marker.path)
    const top = parseYaml(text) as unknown
    const keys = top !== null && typeof top === 'object' ? Object.keys(top) : []
    expect(
      keys.length > 0 && keys.every((k) => SECTIONS.has(k)),
      `${where(b)}: not a whole config: mark it <!-- config-fragment: channels --> (the path it ` +
        `goes under) or <!-- not-config: why -->`,
    ).toBe(true)
    const env: Record<string, string> = {}
    for (const m of text.matchAll(/\$\{([A-Za-z_]\w*)\}/g)) {
      const name = m[1] ?? ''
      env[name] = DUMMY[name] ?? `dummy-${name.toLowerCase()}`
    }
    const file = join(tmp, `block-${n++}.yaml`)
    writeFileSync(file, text)
    try {
      const config = loadConfig(file, { env, dataDir: tmp })
      const disabled = Object.values(config.channels).filter((c) => !c.info.enabled)
      expect(disabled.map((c) => c.info.name)).toEqual([])
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e
      const lines = e.issues.map((i) => `${b.file}:${b.line + i.line}: ${i.path}: ${i.message}`)
      expect.fail(`the example is not a valid config:\n${lines.join('\n')}`)
    }
  })
})

describe('```json examples', () => {
  it.each(of('json'))('%s parses, and one after "→ <status>" says what it shows', (_, b) => {
    expect(() => JSON.parse(b.text) as unknown, where(b)).not.toThrow()
    const marker = parseMarker(b.marker)
    expect(
      ['none', 'not-config', 'config-fragment'].includes(marker.kind) && /→\s*`?\d{3}/.test(b.lead),
      `${where(b)} follows a "→ <status>" line: mark it <!-- example: response METHOD /path STATUS --> ` +
        `or <!-- example: answer to the curl above, STATUS --> so the test checks it`,
    ).toBe(false)
  })
})

describe('ids in the docs', () => {
  const ULID = /^[0-9a-hjkmnp-tv-z]{26}$/
  const PREFIXES: readonly string[] = ID_PREFIXES
  it.each(docFiles())('%s uses real id prefixes and lower-case ULIDs', (file) => {
    const bad: string[] = []
    for (const m of readDoc(file).matchAll(/\b([a-z]{2,5})_(01[0-9A-Za-z]*…?|…)/g)) {
      const [token, prefix = '', rest = ''] = m
      const ok =
        PREFIXES.includes(prefix) &&
        (rest === '…' ||
          (rest.endsWith('…') ? ULID.test(rest.slice(0, -1).padEnd(26, '0')) : ULID.test(rest)))
      if (!ok) bad.push(token)
    }
    expect(
      bad,
      `ids are ${PREFIXES.join('_, ')}_ + a lower-case ULID (26 chars) or elided …`,
    ).toEqual([])
  })
})
