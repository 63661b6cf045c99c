/**
 * The real daemon as users run it (`node bin/omnigate.js serve --config FILE`), on a free port,
 * with its whole output appended to a log file in the suites' log folder. `kill()` is kill -9;
 * `stop()` is SIGTERM and resolves with the exit code.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = new URL('../../../', import.meta.url).pathname
const BIN = join(ROOT, 'bin/omnigate.js')
/** CI machines are slow and shared; the daemon starts in well under a second on a quiet one. */
const START_DEADLINE_MS = 20_000

export interface Daemon {
  proc: ChildProcess
  port: number
  url: string
  /** kill -9, resolves once the process is gone. */
  kill(): Promise<void>
  /** SIGTERM (graceful stop); resolves with the exit code. */
  stop(): Promise<number | null>
}

function exited(p: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve(p.exitCode)
    else p.once('exit', (code) => resolve(code))
  })
}

/**
 * Starts the daemon; resolves once it logged where it listens (the config must say
 * `listen: 127.0.0.1:0`). Its stdout and stderr are appended to `logFile`.
 */
export async function startDaemon(opts: {
  config: string
  logFile: string
  env?: Record<string, string>
}): Promise<Daemon> {
  const fd = openSync(opts.logFile, 'a')
  const before = readFileSync(opts.logFile, 'utf8').length
  const proc = spawn(process.execPath, [BIN, 'serve', '--config', opts.config], {
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, OMNIGATE_LOG_LEVEL: 'debug', ...opts.env },
  })
  closeSync(fd)
  const deadline = Date.now() + START_DEADLINE_MS
  let port = 0
  while (port === 0) {
    const text = readFileSync(opts.logFile, 'utf8').slice(before)
    const m = /"listen":"127\.0\.0\.1:(\d+)"/.exec(text)
    if (m) port = Number(m[1])
    else if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`the daemon exited (${proc.exitCode}) at start:\n${text.slice(-2000)}`)
    else if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`the daemon did not start in time:\n${text.slice(-2000)}`)
    } else await new Promise((r) => setTimeout(r, 10))
  }
  return {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
      await exited(proc)
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
      return exited(proc)
    },
  }
}
