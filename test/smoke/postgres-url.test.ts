/**
 * A wrong or unreachable `store.postgres.url` at start (issue 13, DESIGN §10): the real CLI
 * (`node bin/omnigate.js serve`) stops with exit ≠ 0 and a sentence naming the key, the URL shown
 * with its password masked — never the password, on stderr or anywhere it logs.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = new URL('../../', import.meta.url).pathname
const BIN = join(ROOT, 'bin/omnigate.js')
const dir = mkdtempSync(join(tmpdir(), 'omnigate-pg-url-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

function serve(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const config = join(dir, 'gateway.config.yaml')
  writeFileSync(
    config,
    'server: { listen: "127.0.0.1:0" }\nstore:\n  postgres: { url: "${DATABASE_URL}" }\n',
  )
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, 'serve', '--config', config, '--data', dir], {
      env: { ...process.env, ...env, OMNIGATE_LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()))
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`the daemon did not stop by itself:\n${output}`))
    }, 20_000)
    proc.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

describe('omnigate serve with an unreachable store.postgres.url', () => {
  it('exits ≠ 0 naming store.postgres.url, the password masked', async () => {
    const port = await closedPort()
    const { code, output } = await serve({
      DATABASE_URL: `postgres://omnigate:hunter2-s3cret@127.0.0.1:${port}/omnigate`,
    })
    expect(code).not.toBe(0)
    expect(output).toContain('store.postgres.url')
    expect(output).toContain(`postgres://omnigate:***@127.0.0.1:${port}/omnigate`)
    expect(output).not.toContain('hunter2')
  })
})
