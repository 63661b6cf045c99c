// Replays one Dockerfile stage in a folder that stands for its WORKDIR: COPY lines copy exactly
// what they name from the build context (minus .dockerignore) or from an earlier stage's folder,
// in order; RUN lines run the npm/node commands that build the app. System steps (apt-get, mkdir
// and chown outside WORKDIR) need a Debian image and are only listed.
//
// Fast mode (the default) stands `npm ci` in with hard links to this checkout's node_modules, then
// runs the root package's install lifecycle unless --ignore-scripts (which is where a missing COPY
// used to surface: `prepare` = tsc + gen-schema); `npm rebuild` is skipped (the tree is built for
// this Node) and `npm prune --omit=dev` removes what package-lock.json marks dev. The replay only
// ever deletes those links; a build script that wrote into node_modules would write through them
// into the checkout's (ours do not). Full mode runs every npm command as written.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, posix } from 'node:path'
import { copyParts, stageByRef } from './dockerfile.mjs'
import { splitRun } from './shell-words.mjs'

/** npm ci runs these scripts of the root package, in this order, unless --ignore-scripts. */
const ROOT_INSTALL_SCRIPTS = [
  'preinstall',
  'install',
  'postinstall',
  'prepublish',
  'preprepare',
  'prepare',
  'postprepare',
]

/** The host Node's install prefix when it ships its headers (the image's ENV npm_config_nodedir). */
export function hostNodedir() {
  const prefix = dirname(dirname(process.execPath))
  return existsSync(join(prefix, 'include/node/common.gypi')) ? prefix : undefined
}

function run(cmd, args, cwd, env = process.env) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n')
    throw new Error(
      `\`${[cmd, ...args].join(' ')}\` failed (exit ${r.status ?? r.signal}):\n${out}`,
    )
  }
}

function linkTree(from, to) {
  mkdirSync(to, { recursive: true })
  run('cp', ['-al', `${from}/.`, to], dirname(to))
}

/** Lock entries `npm prune --omit=dev` removes. */
export function devPackages(lock) {
  return Object.entries(lock.packages ?? {})
    .filter(([path, p]) => path !== '' && p.dev === true)
    .map(([path]) => path)
}

const isGlob = (s) => /[*?[]/.test(s)
const globRe = (s) =>
  new RegExp(
    `^${s
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  )

/** The context paths a COPY source names (a wildcard in its last part is expanded). */
function contextSources(ctx, src, line) {
  const rel = posix
    .normalize(src.replace(/^\/+/, ''))
    .replace(/^\.\/?$/, '.')
    .replace(/\/$/, '')
  let rels = [rel]
  if (isGlob(basename(rel))) {
    const parent = posix.dirname(rel)
    const abs = join(ctx.context, parent)
    rels = existsSync(abs)
      ? readdirSync(abs)
          .filter((n) => globRe(basename(rel)).test(n))
          .map((n) => posix.join(parent, n))
      : []
  }
  rels = rels.filter((r) => r === '.' || !ctx.ignored(r))
  const found = rels.filter((r) => existsSync(join(ctx.context, r)))
  if (found.length === 0) {
    const why = rels.length === 0 && !isGlob(rel) ? ' (.dockerignore leaves it out)' : ''
    throw new Error(`line ${line}: COPY ${src}: not in the build context${why}`)
  }
  return found
}

function copyFromContext(ctx, rel, target) {
  const abs = join(ctx.context, rel)
  if (!statSync(abs).isDirectory()) return cpSync(abs, target)
  cpSync(abs, target, {
    recursive: true,
    filter: (p) => {
      const sub = posix.join(
        rel,
        p
          .slice(abs.length + 1)
          .split('\\')
          .join('/'),
      )
      return p === abs || !ctx.ignored(sub)
    },
  })
}

/** Where a path of the stage's filesystem lies in its replay folder (only WORKDIR is replayed). */
function inStage(state, path, line) {
  const abs = posix.resolve(state.workdir, path)
  if (abs !== state.workdir && !abs.startsWith(`${state.workdir}/`))
    throw new Error(`line ${line}: ${path} is outside WORKDIR ${state.workdir}: not replayed`)
  return join(state.dir, posix.relative(state.workdir, abs))
}

function replayCopy(ctx, state, ins) {
  if (ins.keyword === 'ADD') throw new Error(`line ${ins.line}: use COPY (ADD is not replayed)`)
  const { sources, dest } = copyParts(ins)
  const destIsDir = dest.endsWith('/') || dest === '.' || sources.length > 1
  if (sources.length > 1 && !dest.endsWith('/'))
    throw new Error(`line ${ins.line}: COPY with several sources needs a destination ending in /`)
  const destPath = inStage(state, dest, ins.line)
  const from = ins.flags.from
  for (const src of sources) {
    if (from !== undefined) {
      const stage = stageByRef(ctx.stages, from)
      const origin = stage && ctx.replayed.get(stage.index)
      if (!origin)
        throw new Error(`line ${ins.line}: COPY --from=${from}: no such stage replayed before`)
      const abs = inStage(origin, posix.resolve('/', src), ins.line)
      if (!existsSync(abs))
        throw new Error(`line ${ins.line}: COPY --from=${from} ${src}: the stage has no such file`)
      const dir = statSync(abs).isDirectory()
      const target = dir || !destIsDir ? destPath : join(destPath, basename(abs))
      if (dir) linkTree(abs, target)
      else {
        mkdirSync(dirname(target), { recursive: true })
        run('cp', ['-al', abs, target], state.dir)
      }
      continue
    }
    for (const rel of contextSources(ctx, src, ins.line)) {
      const dir = statSync(join(ctx.context, rel)).isDirectory()
      const target = dir || !destIsDir ? destPath : join(destPath, basename(rel))
      mkdirSync(dir ? target : dirname(target), { recursive: true })
      copyFromContext(ctx, rel, target)
    }
  }
}

/** mkdir/chown/chmod/rm on paths outside WORKDIR, and package installs: the image's system. */
function isSystemStep(words, workdir) {
  const [cmd, ...args] = words
  if (cmd === 'apt-get' || cmd === 'apt') return true
  if (!['mkdir', 'chown', 'chmod', 'rm'].includes(cmd ?? '')) return false
  const operands = args
    .filter((a) => !a.startsWith('-'))
    .slice(cmd === 'chown' || cmd === 'chmod' ? 1 : 0)
  return operands.every((p) => p.startsWith('/') && p !== workdir && !p.startsWith(`${workdir}/`))
}

function replayNpm(ctx, state, words) {
  const [, sub, ...rest] = words
  const dir = state.dir
  const say = (s) => ctx.log(`      ${s}`)
  if (sub === 'ci') {
    for (const f of ['package.json', 'package-lock.json'])
      if (!existsSync(join(dir, f))) throw new Error(`npm ci: ${f} was not copied before it`)
    if (ctx.full) {
      const extra = ['--prefer-offline', '--no-audit', '--no-fund'].filter((f) => !rest.includes(f))
      return run('npm', ['ci', ...rest, ...extra], dir, ctx.env)
    }
    const modules = join(ctx.context, 'node_modules')
    if (!existsSync(modules))
      throw new Error(
        'fast replay links ./node_modules: run `npm ci` in the checkout first (or use --full)',
      )
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true })
    linkTree(modules, join(dir, 'node_modules'))
    say('node_modules: hard links to the checkout’s (fast replay)')
    if (rest.includes('--ignore-scripts')) return
    const scripts = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts ?? {}
    for (const s of ROOT_INSTALL_SCRIPTS.filter((n) => scripts[n] !== undefined)) {
      say(`npm ci runs the package's "${s}" script`)
      run('npm', ['run', s], dir, ctx.env)
    }
    return
  }
  if (sub === 'rebuild') {
    if (ctx.full) return run('npm', words.slice(1), dir, ctx.env)
    for (const p of rest.filter((a) => !a.startsWith('-')))
      if (!existsSync(join(dir, 'node_modules', p)))
        throw new Error(`npm rebuild: ${p} is not installed`)
    return say('skipped in fast replay: the linked node_modules is built for this Node')
  }
  if (sub === 'prune') {
    if (ctx.full) return run('npm', words.slice(1), dir, ctx.env)
    if (!rest.includes('--omit=dev') && !rest.includes('--production'))
      throw new Error(`npm prune ${rest.join(' ')}: only --omit=dev is replayed fast`)
    const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'))
    const gone = devPackages(lock)
    for (const p of gone) rmSync(join(dir, p), { recursive: true, force: true })
    return say(`removed the ${gone.length} packages package-lock.json marks dev`)
  }
  if (sub === 'run' || sub === 'run-script') return run('npm', words.slice(1), dir, ctx.env)
  throw new Error(`npm ${sub ?? ''} is not replayed: teach scripts/docker/replay.mjs`)
}

/**
 * Replays `stage` into `dir`. `ctx`: { context, stages, ignored, full, log, env, replayed }, where
 * `replayed` maps earlier stage indexes to their { dir, workdir }. Throws on the first failing
 * step, naming its line.
 */
export function replayStage(ctx, stage, dir) {
  const state = { dir, workdir: '/' }
  mkdirSync(dir, { recursive: true })
  for (const ins of stage.instructions) {
    if (ins.keyword === 'WORKDIR') {
      if (readdirSync(dir).length > 0)
        throw new Error(`line ${ins.line}: a second WORKDIR is not replayed`)
      state.workdir = posix.resolve(state.workdir, ins.args)
    } else if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      ctx.log(
        `  line ${ins.line}: COPY ${ins.flags.from ? `--from=${ins.flags.from} ` : ''}${ins.args}`,
      )
      replayCopy(ctx, state, ins)
    } else if (ins.keyword === 'RUN') {
      for (const words of splitRun(ins.words ? ins.words.join(' ') : ins.args)) {
        const text = words.join(' ')
        if (isSystemStep(words, state.workdir)) {
          ctx.log(
            `  line ${ins.line}: ${text.length > 60 ? `${text.slice(0, 60)}…` : text} (system step, not replayed)`,
          )
          continue
        }
        ctx.log(`  line ${ins.line}: RUN ${text}`)
        const t0 = Date.now()
        try {
          if (words[0] === 'npm') replayNpm(ctx, state, words)
          else if (words[0] === 'node' || words[0] === 'npx')
            run(words[0], words.slice(1), dir, ctx.env)
          else throw new Error(`\`${words[0]}\` is not replayed: teach scripts/docker/replay.mjs`)
        } catch (e) {
          throw new Error(
            `line ${ins.line}: RUN ${text}: ${e instanceof Error ? e.message : String(e)}`,
          )
        }
        const s = (Date.now() - t0) / 1000
        if (s >= 1) ctx.log(`      took ${s.toFixed(1)} s`)
      }
    }
  }
  return state
}
