/**
 * Child processes of the bench: the daemon under test (`node bin/omnigate.js serve`, its log in a
 * file), helper servers and the load generator (forked, talking over IPC), and their memory as the
 * kernel counts it (VmRSS).
 */
import { fork, spawn } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, ROOT } from './paths.mjs'

/** How long a daemon may take to say it listens before the bench gives up on it. */
const START_DEADLINE_MS = 60_000

/** Resident memory of a process in MB (VmRSS), or null once it has exited. */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : null
  } catch {
    return null
  }
}

/** CPU time a process has used so far (user + system, all its threads), in seconds. */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Samples a process's RSS every `everyMs` until `stop()`; returns the highest seen (MB). */
export function sampleRss(pid, everyMs = 100) {
  let max = rssMb(pid) ?? 0
  const timer = setInterval(() => {
    const now = rssMb(pid)
    if (now !== null && now > max) max = now
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      const now = rssMb(pid)
      return Math.max(max, now ?? 0)
    },
  }
}

/**
 * Starts `omnigate serve --config FILE` with its stdout/stderr in `logFile`. Resolves once the
 * daemon logged where it listens (`server.listen` should use port 0) with its pid, port and
 * `startedAt` (ms, just before the spawn).
 */
export async function startDaemon({ config, logFile, env = {}, nodeArgs = [] }) {
  const fd = openSync(logFile, 'a')
  // BENCH_CPU_PROF=DIR: every daemon writes a V8 CPU profile there when it stops (SIGTERM).
  const prof = process.env.BENCH_CPU_PROF
  if (prof) nodeArgs = ['--cpu-prof', '--cpu-prof-dir', prof, ...nodeArgs]
  // BENCH_NODE_ARGS="--flag …": node options for every daemon (not for the bench's own helpers).
  const extra = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []
  nodeArgs = [...extra, ...nodeArgs]
  const startedAt = performance.now()
  const proc = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--config', config], {
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, OMNIGATE_LOG_LEVEL: 'info', ...env },
  })
  closeSync(fd)
  const deadline = Date.now() + START_DEADLINE_MS
  let port = null
  while (port === null) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`the daemon exited (${proc.exitCode ?? proc.signalCode}); see ${logFile}`)
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`the daemon did not start within ${START_DEADLINE_MS} ms; see ${logFile}`)
    }
    const m = /"listen":"127\.0\.0\.1:(\d+)"/.exec(readFileSync(logFile, 'utf8'))
    if (m) port = Number(m[1])
    else await sleep(2)
  }
  return {
    proc,
    pid: proc.pid,
    port,
    url: `http://127.0.0.1:${port}`,
    startedAt,
    logFile,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000)
      await once(proc, 'exit')
      clearTimeout(timer)
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGKILL')
      await once(proc, 'exit')
    },
  }
}

/** Polls `GET /healthz` until it answers 200; resolves with the time (performance.now()). */
export async function waitHealthy(url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`)
      await res.arrayBuffer()
      if (res.status === 200) return performance.now()
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become healthy`)
    await sleep(2)
  }
}

/**
 * Forks a helper script of scripts/bench/ with an IPC channel. `request(msg)` sends a command and
 * resolves with the child's next answer carrying the same `id`.
 */
export async function forkHelper(script, args = [], { env = {}, execArgv = [] } = {}) {
  const child = fork(join(ROOT, 'scripts/bench', script), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
    execArgv,
  })
  let seq = 0
  const waiting = new Map()
  child.on('message', (m) => {
    const w = waiting.get(m?.id)
    if (!w) return
    waiting.delete(m.id)
    if (m.error) w.reject(new Error(m.error))
    else w.resolve(m)
  })
  child.once('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`${script} exited with ${code}`))
    waiting.clear()
  })
  const request = (msg) =>
    new Promise((resolve, reject) => {
      const id = ++seq
      waiting.set(id, { resolve, reject })
      child.send({ ...msg, id })
    })
  const ready = await request({ cmd: 'ready' })
  return {
    child,
    pid: child.pid,
    ready,
    request,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return
      // Disconnecting lets the helper exit normally (a --cpu-prof profile is written then).
      const exited = once(child, 'exit')
      child.disconnect()
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * Answers the parent's IPC commands in a helper: `handlers[cmd](msg)` returns (or resolves to) the
 * fields of the answer. `ready` is answered with `onReady()`'s fields.
 */
export function serveIpc(handlers) {
  process.on('message', (m) => {
    const h = handlers[m.cmd]
    if (!h) return process.send({ id: m.id, error: `unknown command ${m.cmd}` })
    Promise.resolve()
      .then(() => h(m))
      .then(
        (r) => process.send({ id: m.id, ...(r ?? {}) }),
        (e) => process.send({ id: m.id, error: e?.stack ?? String(e) }),
      )
  })
  process.on('disconnect', () => process.exit(0))
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms))
}
