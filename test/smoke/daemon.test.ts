/**
 * The real daemon as a user runs it (`node bin/omnigate.js serve`), on a random port: send through
 * the webhook channel to a local relay, SIGKILL it while messages are queued, restart, and see every
 * accepted message delivered. Also: a graceful SIGTERM, and a bad config refused at start.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js'

const ROOT = new URL('../../', import.meta.url).pathname
const BIN = join(ROOT, 'bin/omnigate.js')
const KEY = 'smoke-admin-key-0123456789'

let dir: string
let relay: WebhookReceiver
let config: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'omnigate-smoke-'))
  relay = await startWebhookReceiver({ secret: 'relay-secret', record: true })
  config = join(dir, 'gateway.config.yaml')
  writeFileSync(
    config,
    `server:
  listen: 127.0.0.1:0
auth:
  keys:
    - { id: ops, role: admin, sha256: "${createHash('sha256').update(KEY).digest('hex')}" }
store:
  sqlite: ${join(dir, 'data/omnigate.db')}
dispatcher:
  backoff_base: 100ms
  backoff_max: 500ms
  send_timeout: 2s
  lease: 3s
channels:
  sms:
    type: webhook
    url: ${relay.url}
    secret: relay-secret
    address: phone
`,
  )
})

afterAll(async () => {
  await relay.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Daemon {
  proc: ChildProcess
  port: number
  log: string[]
}

async function start(args: string[] = []): Promise<Daemon> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--config', config, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log: string[] = []
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`daemon did not start:\n${log.join('')}`)),
      15_000,
    )
    const onData = (b: Buffer) => {
      log.push(b.toString())
      const m = /"listen":"127\.0\.0\.1:(\d+)"/.exec(log.join(''))
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    }
    proc.stdout?.on('data', onData)
    proc.stderr?.on('data', (b: Buffer) => log.push(b.toString()))
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`daemon exited with ${code}:\n${log.join('')}`))
    })
  })
  proc.removeAllListeners('exit')
  return { proc, port, log }
}

function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve(p.exitCode)
    else p.once('exit', (code) => resolve(code))
  })
}

async function post(
  port: number,
  body: unknown,
): Promise<{ status: number; body: { id: string } }> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as { id: string } }
}

describe('the daemon', () => {
  it('delivers every accepted message after a SIGKILL while they were queued', async () => {
    // The relay holds every request for longer than the send timeout: nothing completes before the kill.
    relay.setAnswer(() => ({ kind: 'slow', delayMs: 60_000 }))
    const d1 = await start()
    const ids: string[] = []
    for (let i = 0; i < 40; i++) {
      const r = await post(d1.port, {
        to: { channel: 'sms', address: `+4917012345${String(i).padStart(2, '0')}` },
        text: `message ${i}`,
      })
      expect(r.status).toBe(202)
      ids.push(r.body.id)
    }
    d1.proc.kill('SIGKILL')
    await exited(d1.proc)
    relay.setAnswer(() => ({ kind: 'ok' }))
    const d2 = await start()
    try {
      await relay.waitFor((r) => ids.every((id) => (r.acceptedByKey.get(id) ?? 0) >= 1), 30_000)
      for (const id of ids) {
        const res = await fetch(`http://127.0.0.1:${d2.port}/v1/messages/${id}`, {
          headers: { authorization: `Bearer ${KEY}` },
        })
        expect(((await res.json()) as { status: string }).status).toBe('sent')
      }
    } finally {
      d2.proc.kill('SIGTERM')
      expect(await exited(d2.proc)).toBe(0)
    }
  }, 60_000)

  it('stops gracefully on SIGTERM (exit 0) and serves /healthz before', async () => {
    const d = await start()
    const h = await fetch(`http://127.0.0.1:${d.port}/healthz`)
    expect(await h.json()).toEqual({ status: 'ok' })
    d.proc.kill('SIGTERM')
    expect(await exited(d.proc)).toBe(0)
    expect(d.log.join('')).toContain('stopped')
  })

  it('refuses to start on a bad config with file:line and the key, exit 1', () => {
    const bad = join(dir, 'bad.yaml')
    writeFileSync(
      bad,
      'server:\n  listen: 127.0.0.1:0\nchannels:\n  x:\n    type: webhook\n    url: http://127.0.0.1:9\n    secret: s\n    adress: phone\n',
    )
    let code = 0
    let stderr = ''
    try {
      execFileSync(process.execPath, [BIN, 'serve', '--config', bad], { stdio: 'pipe' })
    } catch (e) {
      code = (e as { status: number }).status
      stderr = String((e as { stderr: Buffer }).stderr)
    }
    expect(code).toBe(1)
    expect(stderr).toMatch(/bad\.yaml:8:\d+: channels\.x/)
  })

  it('the CLI: a bad flag exits 2 with a clear message; --help on each command', () => {
    let code = 0
    let stderr = ''
    try {
      execFileSync(process.execPath, [BIN, 'serve', '--nope'], { stdio: 'pipe' })
    } catch (e) {
      code = (e as { status: number }).status
      stderr = String((e as { stderr: Buffer }).stderr)
    }
    expect(code).toBe(2)
    expect(stderr).toContain('--nope')
    for (const cmd of [
      ['serve'],
      ['check-config'],
      ['keys', 'new'],
      ['keys', 'vapid'],
      ['migrate'],
      ['backup'],
    ]) {
      const out = execFileSync(process.execPath, [BIN, ...cmd, '--help']).toString()
      expect(out).toMatch(/^Usage: omnigate /)
    }
    const key = execFileSync(process.execPath, [
      BIN,
      'keys',
      'new',
      '--id',
      'alice',
      '--role',
      'agent',
    ]).toString()
    const plain = /key: (\S+)/.exec(key)?.[1] ?? ''
    expect(key).toContain(
      `{ id: alice, role: agent, sha256: "${createHash('sha256').update(plain).digest('hex')}" }`,
    )
    // A dozen CLI processes, each loading the compiled daemon: ≈ 25 s on a loaded 2-core machine.
  }, 90_000)
})
