/**
 * `npm start` as a user runs it, and the signals docs/operations.md promises. npm 11 runs a script
 * under `sh -c` and forwards only SIGINT and SIGTERM to that shell; Debian's dash does not exec the
 * command, so without `exec` in the script the daemon never heard a stop sent to npm. SIGHUP is not
 * forwarded at all: it goes to the daemon's own pid, which its start line names.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = new URL('../../', import.meta.url).pathname
const KEY = 'npm-start-admin-key-0123456789'

let dir: string
let config: string

function writeConfig(withKey: boolean): void {
  const sha = createHash('sha256').update(KEY).digest('hex')
  writeFileSync(
    config,
    `server:
  listen: 127.0.0.1:0
store:
  sqlite: ${join(dir, 'data/omnigate.db')}
${withKey ? `auth:\n  keys:\n    - { id: ops, role: admin, sha256: "${sha}" }\n` : ''}`,
  )
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnigate-npm-start-'))
  config = join(dir, 'gateway.config.yaml')
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Started {
  npm: ChildProcess
  pid: number
  port: number
  output: () => string
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** `npm start -- --config FILE` in its own process group (as a terminal would run it). */
async function npmStart(): Promise<Started> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OMNIGATE_')),
  )
  const npm = spawn('npm', ['start', '--', '--config', config], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  npm.stdout?.on('data', (b: Buffer) => (out += b.toString()))
  npm.stderr?.on('data', (b: Buffer) => (out += b.toString()))
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    npm.once('exit', (code, signal) => r({ code, signal })),
  )
  const serving = await new Promise<{ pid: number; listen: string }>((resolve, reject) => {
    const timer = setInterval(() => {
      const line = logLines(out).find((l) => l.msg === 'omnigate is serving')
      if (line) {
        clearInterval(timer)
        resolve(line as unknown as { pid: number; listen: string })
      }
    }, 50)
    void exit.then(() => {
      clearInterval(timer)
      reject(new Error(`npm start exited:\n${out}`))
    })
  })
  return {
    npm,
    pid: serving.pid,
    port: Number(serving.listen.split(':').at(-1)),
    output: () => out,
    exit,
  }
}

function logLines(text: string): Record<string, unknown>[] {
  return text.split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>]
    } catch {
      return []
    }
  })
}

async function until(what: string, ok: () => boolean, out: () => string): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50))
  if (!ok()) throw new Error(`${what} did not happen:\n${out()}`)
}

/** The parent pid of a process, from /proc (Linux). */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('npm start', () => {
  it('reloads on SIGHUP to the pid in its start line, and stops gracefully on SIGTERM to npm', async () => {
    writeConfig(false)
    const s = await npmStart()
    try {
      // `exec` in the script: the daemon is npm's own child, so npm's forwarded signals reach it,
      // and its command line is what `pkill -f 'omnigate.js serve'` (docs/operations.md) matches.
      expect(s.pid).not.toBe(s.npm.pid)
      expect(parentOf(s.pid)).toBe(s.npm.pid)
      expect(readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').split('\0').join(' ')).toContain(
        'omnigate.js serve',
      )

      const channels = () =>
        fetch(`http://127.0.0.1:${s.port}/v1/channels`, {
          headers: { authorization: `Bearer ${KEY}` },
        }).then((r) => r.status)
      expect(await channels()).toBe(401)
      writeConfig(true)
      process.kill(s.pid, 'SIGHUP')
      await until('config reloaded', () => s.output().includes('"config reloaded"'), s.output)
      expect(await channels()).toBe(200)

      process.kill(s.npm.pid!, 'SIGTERM')
      expect(await s.exit).toEqual({ code: 0, signal: null })
      expect(logLines(s.output()).map((l) => l.msg)).toContain('stopped')
      expect(alive(s.pid)).toBe(false)
    } finally {
      if (alive(s.pid)) process.kill(s.pid, 'SIGKILL')
    }
  })

  it('stops gracefully on Ctrl-C, which reaches the daemon twice (from the terminal and from npm)', async () => {
    writeConfig(false)
    const s = await npmStart()
    try {
      process.kill(-s.npm.pid!, 'SIGINT') // the whole foreground process group, as a terminal does
      expect(await s.exit).toEqual({ code: 0, signal: null })
      const msgs = logLines(s.output()).map((l) => l.msg)
      expect(msgs).toContain('stopped')
      expect(alive(s.pid)).toBe(false)
    } finally {
      if (alive(s.pid)) process.kill(s.pid, 'SIGKILL')
    }
  })
})
