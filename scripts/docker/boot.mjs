// Starts the replayed image folder the way the container would (ENTRYPOINT + CMD, ENV), on a free
// loopback port instead of 0.0.0.0:8080 and a temp data folder instead of the volume; runs the
// HEALTHCHECK against it, stops it with SIGTERM, and runs the HEALTHCHECK again (it must fail).
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { basename, join, posix } from 'node:path'
import { envPairs, lastOf, startArgv, takeFlags } from './dockerfile.mjs'

/** Inits that forward signals; the replay runs node directly. */
const INITS = new Set(['tini', 'tini-static', 'dumb-init', 'docker-init'])
const START_TIMEOUT_MS = 30_000 // a cold start on a loaded 2-core CI machine takes a few seconds
const STOP_TIMEOUT_MS = 25_000 // the daemon's own grace for in-flight sends is 10 s

/** The HEALTHCHECK's command as argv (`CMD-SHELL` form runs under sh -c, as in the image). */
export function healthcheckArgv(stage) {
  const hc = lastOf(stage, 'HEALTHCHECK')
  if (!hc) return null
  const rest = takeFlags(hc.args).rest
  const m = /^CMD\s+(.*)$/s.exec(rest)
  if (!m) return null
  const text = m[1].trim()
  if (text.startsWith('[')) return JSON.parse(text)
  return ['/bin/sh', '-c', text]
}

/** The command the container runs, without its init; `node` first. */
function daemonArgv(stage) {
  let argv = startArgv(stage)
  if (INITS.has(basename(argv[0] ?? ''))) {
    const dashes = argv.indexOf('--')
    argv = dashes >= 0 ? argv.slice(dashes + 1) : argv.slice(1).filter((a) => !a.startsWith('-'))
  }
  return argv
}

function option(argv, name) {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}

/** The runtime stage's --listen port and --data folder, as its CMD gives them. */
export function serveOptions(stage) {
  const argv = daemonArgv(stage)
  const listen = option(argv, '--listen')
  return {
    argv,
    listen,
    port: listen ? Number(listen.split(':').at(-1)) : undefined,
    data: option(argv, '--data'),
  }
}

/** Runs the HEALTHCHECK with the image's port swapped for the replay's; null when it names no such port. */
function runHealthcheck(argv, port, fromPort, cwd) {
  if (!argv.some((a) => a.includes(`:${fromPort}/`))) return null
  const swapped = argv.map((a) => a.split(`:${fromPort}/`).join(`:${port}/`))
  const cmd = swapped[0] === 'node' ? process.execPath : (swapped[0] ?? 'false')
  return spawnSync(cmd, swapped.slice(1), { cwd, encoding: 'utf8', timeout: 10_000 }).status
}

/**
 * Boots the replayed image in `dir` (its WORKDIR is `workdir`); resolves to a list of
 * { id, ok, detail } results.
 */
export async function bootImage({ stage, dir, workdir, log }) {
  const results = []
  const add = (id, ok, detail) => results.push({ id, ok, detail })
  const { argv, port: imagePort } = serveOptions(stage)
  if (argv[0] !== 'node')
    return [
      { id: 'boot', ok: false, detail: `the container does not start node: ${argv.join(' ')}` },
    ]
  const data = join(dir, '.replay-data')
  mkdirSync(data, { recursive: true })
  const args = argv
    .slice(1)
    .map((a, i, all) =>
      all[i - 1] === '--listen' ? '127.0.0.1:0' : all[i - 1] === '--data' ? data : a,
    )
  const mapPath = (v) =>
    v === workdir || v.startsWith(`${workdir}/`) ? join(dir, posix.relative(workdir, v)) : v
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir }
  for (const ins of stage.instructions.filter((i) => i.keyword === 'ENV'))
    for (const [k, v] of Object.entries(envPairs(ins))) env[k] = mapPath(v)
  log(`  boot: node ${args.join(' ')}`)
  const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  )
  const port = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), START_TIMEOUT_MS)
    const onData = (b) => {
      out += b.toString()
      const line = out
        .split('\n')
        .map((l) => {
          try {
            return JSON.parse(l)
          } catch {
            return null
          }
        })
        .find((l) => l?.msg === 'omnigate is serving')
      if (!line) return
      clearTimeout(timer)
      resolve(Number(String(line.listen).split(':').at(-1)))
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    void exited.then(() => {
      clearTimeout(timer)
      resolve(null)
    })
  })
  if (port === null) {
    child.kill('SIGKILL')
    add(
      'boot',
      false,
      `the image's command did not start serving:\n${out.trim().split('\n').slice(-15).join('\n')}`,
    )
    return results
  }
  add(
    'boot',
    true,
    `the image's command serves (${argv.slice(0, 3).join(' ')} …) with production dependencies only`,
  )
  const hc = healthcheckArgv(stage)
  const health = hc && imagePort !== undefined ? runHealthcheck(hc, port, imagePort, dir) : null
  add(
    'healthcheck-runs',
    health === 0,
    health === 0
      ? 'HEALTHCHECK passes against the running daemon'
      : `HEALTHCHECK: ${health === null ? 'none that probes the --listen port' : `exit ${health}`}`,
  )
  child.kill('SIGTERM')
  const code = await Promise.race([
    exited,
    new Promise((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS)),
  ])
  if (code === 'timeout') child.kill('SIGKILL')
  add(
    'sigterm',
    code === 0,
    code === 0 ? 'SIGTERM stops it gracefully (exit 0)' : `SIGTERM: ${code}`,
  )
  if (health === 0) {
    const down = runHealthcheck(hc ?? [], port, imagePort, dir)
    add(
      'healthcheck-fails',
      down !== 0,
      down !== 0
        ? 'HEALTHCHECK fails once the daemon is gone'
        : 'HEALTHCHECK passed with no daemon',
    )
  }
  return results
}
