import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { main } from './main.js'

const dir = mkdtempSync(join(tmpdir(), 'omnigate-main-'))

function config(name: string, channels: string): string {
  const file = join(dir, name)
  writeFileSync(file, `store:\n  sqlite: ${join(dir, 'og.db')}\nchannels:\n${channels}`)
  return file
}

const SMS_ON = '  sms: { type: webhook, url: "https://relay.example", secret: s }\n'
const TG_OFF = '  tg: { type: telegram, token: "${MAIN_TEST_UNSET_TG_TOKEN}" }\n'
const LINE_OFF =
  '  line: { type: line, channel_access_token: "${MAIN_TEST_UNSET_LINE}", channel_secret: s }\n'

/** Runs the CLI in-process; what it wrote to stdout and stderr, and its exit code. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true))
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true))
  try {
    const code = await main(argv)
    return { code, out, err }
  } finally {
    vi.restoreAllMocks()
  }
}

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('omnigate check-config --strict', () => {
  it('fails (exit 1) when a channel is disabled, listing each with its reason', async () => {
    const file = config('off.yaml', SMS_ON + TG_OFF + LINE_OFF)
    const r = await run('check-config', '--config', file, '--strict')
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/^valid, but --strict fails: /)
    expect(r.out).toContain('--strict: 2 channels are disabled:\n')
    expect(r.out).not.toContain('channels.tg: disabled:') // listed once, not among the warnings
    expect(r.out).toContain(
      '  - channels.tg: environment variable MAIN_TEST_UNSET_TG_TOKEN is not set\n',
    )
    expect(r.out).toContain(
      '  - channels.line: environment variable MAIN_TEST_UNSET_LINE is not set',
    )
  })

  it('without --strict the same file is ok (exit 0), with the disabled channels as warnings', async () => {
    const r = await run('check-config', '--config', config('off2.yaml', SMS_ON + TG_OFF))
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^ok: /)
    expect(r.out).toContain('channels.tg: disabled: environment variable MAIN_TEST_UNSET_TG_TOKEN')
  })

  it('passes when every channel is enabled', async () => {
    vi.stubEnv('MAIN_TEST_UNSET_TG_TOKEN', '123:abc')
    const r = await run('check-config', '--strict', '--config', config('on.yaml', SMS_ON + TG_OFF))
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^ok: /)
  })

  it('still reports config errors first (exit 1)', async () => {
    const file = config('bad.yaml', '  sms: { type: webhook, url: "https://relay.example" }\n')
    const r = await run('check-config', '--strict', '--config', file)
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/channels\.sms\.secret: .*missing/)
  })
})

describe('omnigate serve --log-format', () => {
  it('refuses a format other than json or pretty (exit 2), from the flag or the variable', async () => {
    const flag = await run('serve', '--log-format', 'text', '--config', join(dir, 'none.yaml'))
    expect(flag.code).toBe(2)
    expect(flag.err).toMatch(/--log-format must be json or pretty/)
    vi.stubEnv('OMNIGATE_LOG_FORMAT', 'xml')
    const env = await run('serve', '--config', join(dir, 'none.yaml'))
    expect(env.code).toBe(2)
    expect(env.err).toMatch(/OMNIGATE_LOG_FORMAT must be json or pretty/)
  })

  it('is documented in --help, as check-config --strict is', async () => {
    const serve = await run('serve', '--help')
    expect(serve.code).toBe(0)
    expect(serve.out).toMatch(/--log-format json\|pretty/)
    expect(serve.out).toMatch(/OMNIGATE_LOG_FORMAT/)
    const check = await run('check-config', '--help')
    expect(check.out).toMatch(/--strict .*disabled/)
  })
})
