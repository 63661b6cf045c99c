// What the image must be, read from the Dockerfile alone (no engine, no replay): Node 24, the
// same base in every stage (better-sqlite3 is native), USER node, a HEALTHCHECK on /healthz at
// the --listen port, 0.0.0.0 inside, EXPOSE, the data VOLUME owned by node, an init for signals,
// Chromium, every file the start command needs copied in, install scripts not silently skipped,
// and a .dockerignore that keeps node_modules, dist, data and .git out of the context.
import { existsSync, statSync } from 'node:fs'
import { basename, join, posix } from 'node:path'
import { healthcheckArgv, serveOptions } from './boot.mjs'
import { copyParts, envPairs, lastOf, stageByRef } from './dockerfile.mjs'
import { splitRun } from './shell-words.mjs'

/** Files the runtime command reads, relative to WORKDIR, besides the script it runs. */
export const RUNTIME_NEEDS = [
  'dist/main.js',
  'package.json',
  'gateway.config.yaml',
  'node_modules/better-sqlite3',
]
const INITS = ['tini', 'tini-static', 'dumb-init']

function runWords(stage) {
  return stage.instructions
    .filter((i) => i.keyword === 'RUN')
    .flatMap((i) =>
      splitRun(i.words ? i.words.join(' ') : i.args).map((words) => ({
        words,
        at: stage.instructions.indexOf(i),
      })),
    )
}

function workdirOf(stage) {
  return stage.instructions
    .filter((i) => i.keyword === 'WORKDIR')
    .reduce((w, i) => posix.resolve(w, i.args), '/')
}

/** Where each runtime COPY lands, relative to WORKDIR ('' = WORKDIR itself). */
function landingRoots(stage, context) {
  const workdir = workdirOf(stage)
  const roots = []
  for (const ins of stage.instructions.filter((i) => i.keyword === 'COPY')) {
    const { sources, dest } = copyParts(ins)
    const destRel = posix.relative(workdir, posix.resolve(workdir, dest))
    const destIsDir = dest.endsWith('/') || dest === '.' || sources.length > 1
    for (const src of sources) {
      const local = join(context, src)
      const isDir = ins.flags.from
        ? !/\.\w+$/.test(basename(src)) // a stage's file is not on disk here: guess by its name
        : existsSync(local) && statSync(local).isDirectory()
      roots.push(isDir || !destIsDir ? destRel : posix.join(destRel, basename(src)))
    }
  }
  return roots
}

/**
 * Runs every static check; returns [{ id, ok, detail }].
 * @param {{ stages: import('./dockerfile.mjs').Stage[], context: string, ignored: (rel: string) => boolean, lock: any }} o
 */
export function staticChecks({ stages, context, ignored, lock }) {
  const results = []
  const add = (id, ok, detail) => results.push({ id, ok: Boolean(ok), detail })
  const runtime = stages.at(-1)
  if (!runtime) return [{ id: 'stages', ok: false, detail: 'no stage' }]
  const workdir = workdirOf(runtime)

  add(
    'node-24',
    /^node:24(?:[.-]|$)/.test(runtime.image),
    `runtime base image is ${runtime.image} (Node 24 LTS expected)`,
  )
  for (const ref of new Set(runtime.instructions.map((i) => i.flags.from).filter(Boolean))) {
    const s = stageByRef(stages, ref)
    add(
      'same-base',
      s?.image === runtime.image,
      `stage ${ref} is ${s?.image ?? 'missing'}, the runtime ${runtime.image}: native modules must be built for the Node that runs them`,
    )
  }
  const user = lastOf(runtime, 'USER')?.args.trim()
  add('user', user === 'node' || user === 'node:node', `runtime runs as USER ${user ?? '(root)'}`)

  const { argv, listen, port, data } = serveOptions(runtime)
  add(
    'serve',
    argv.includes('serve') && listen?.startsWith('0.0.0.0:'),
    `the container runs \`${argv.join(' ')}\` (serve --listen 0.0.0.0:PORT expected)`,
  )
  const hc = healthcheckArgv(runtime)?.join(' ')
  add(
    'healthcheck',
    hc?.includes(`:${port}/healthz`),
    hc ? `HEALTHCHECK probes ${/https?:\/\/[^'"\s]+/.exec(hc)?.[0] ?? hc}` : 'no HEALTHCHECK',
  )
  const exposed = runtime.instructions
    .filter((i) => i.keyword === 'EXPOSE')
    .flatMap((i) => i.args.split(/\s+/))
  add(
    'expose',
    exposed.some((e) => e.split('/')[0] === String(port)),
    `EXPOSE ${exposed.join(' ') || '(none)'} for --listen port ${port}`,
  )

  const volumes = runtime.instructions
    .filter((i) => i.keyword === 'VOLUME')
    .flatMap((i) => i.words ?? i.args.split(/\s+/))
  add(
    'volume',
    data !== undefined && volumes.includes(data),
    `--data ${data ?? '(none)'}; VOLUME ${volumes.join(' ') || '(none)'}`,
  )
  const volumeAt = runtime.instructions.findIndex((i) => i.keyword === 'VOLUME')
  const chowned = runWords(runtime).some(
    ({ words, at }) =>
      words[0] === 'chown' &&
      words.some((w) => /^node(:|$)/.test(w)) &&
      words.includes(data ?? '') &&
      (volumeAt < 0 || at < volumeAt),
  )
  add(
    'volume-owner',
    chowned,
    `${data ?? 'the data folder'} is chowned to node before VOLUME (the daemon writes there as USER node)`,
  )

  const entry = lastOf(runtime, 'ENTRYPOINT')?.words ?? []
  add(
    'init',
    INITS.includes(basename(entry[0] ?? '')),
    `ENTRYPOINT ${entry.join(' ') || '(none)'}: an init forwards signals to node and reaps Chromium's children`,
  )
  const apt = runWords(runtime)
    .filter(({ words }) => words[0] === 'apt-get' && words[1] === 'install')
    .flatMap(({ words }) => words)
  add(
    'chromium',
    apt.includes('chromium'),
    'Debian chromium is installed for the WhatsApp Web channel',
  )

  const roots = landingRoots(runtime, context)
  const config = Object.assign(
    {},
    ...runtime.instructions.filter((i) => i.keyword === 'ENV').map(envPairs),
  ).OMNIGATE_CONFIG
  const needs = [argv[1] ?? 'bin/omnigate.js', ...RUNTIME_NEEDS]
  if (config) needs.push(posix.relative(workdir, posix.resolve(workdir, config)))
  for (const need of new Set(needs)) {
    const ok = roots.some((r) => r === '' || r === need || need.startsWith(`${r}/`))
    add('runtime-files', ok, `${need} is copied into the runtime stage`)
  }

  for (const stage of stages) {
    const runs = runWords(stage)
    if (
      !runs.some(
        ({ words }) =>
          words[0] === 'npm' && words[1] === 'ci' && words.includes('--ignore-scripts'),
      )
    )
      continue
    const needed = Object.entries(lock.packages ?? {})
      .filter(([path, p]) => path !== '' && p.hasInstallScript && !p.dev)
      .map(([path]) => path.split('node_modules/').at(-1))
    const rebuilt = runs
      .filter(({ words }) => words[0] === 'npm' && words[1] === 'rebuild')
      .flatMap(({ words }) => words.slice(2))
    const missing = needed.filter((n) => !rebuilt.includes(n))
    add(
      'install-scripts',
      missing.length === 0,
      missing.length
        ? `npm ci --ignore-scripts skips the install scripts of ${missing.join(', ')}: npm rebuild them`
        : `install scripts rebuilt after --ignore-scripts: ${needed.join(', ')}`,
    )
  }

  const kept = ['node_modules', 'dist', 'data', '.git'].filter((p) => !ignored(p))
  add(
    'dockerignore',
    kept.length === 0,
    kept.length
      ? `.dockerignore lets ${kept.join(', ')} into the build context`
      : '.dockerignore leaves out node_modules, dist, data, .git',
  )
  return results
}
