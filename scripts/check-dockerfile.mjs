#!/usr/bin/env node
// Checks the Dockerfile without a Docker engine (none runs in CI): reads what the image must be
// (scripts/docker/checks.mjs), then replays every stage in a temp folder — COPY exactly what each
// line names, in order, then the npm/node RUN steps — and boots the result as the container
// would, HEALTHCHECK and SIGTERM included. A COPY that is missing, or that .dockerignore empties,
// fails it the way `docker build` would. test/build/dockerfile*.test.ts run it.
//
//   node scripts/check-dockerfile.mjs             static checks + fast replay (≈ 20–40 s: tsc)
//   node scripts/check-dockerfile.mjs --static    static checks only (< 1 s)
//   node scripts/check-dockerfile.mjs --full      replay every npm command as written (npm ci
//                                                 from the npm cache, better-sqlite3 compiled: minutes)
//   --dockerfile FILE   (default: <context>/Dockerfile)   --context DIR   (default: the checkout)
//   --keep              leave the replay folders in <context>/.tmp/ to look at
//
// What it cannot see: the base image itself (Debian packages, Node 24 — the replay runs this
// machine's Node), USER/permissions, and layer caching. Exit 0 when every check passes, else 1.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { bootImage } from './docker/boot.mjs'
import { RUNTIME_NEEDS, staticChecks } from './docker/checks.mjs'
import { parseDockerfile } from './docker/dockerfile.mjs'
import { loadDockerignore } from './docker/dockerignore.mjs'
import { devPackages, hostNodedir, replayStage } from './docker/replay.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    dockerfile: { type: 'string' },
    context: { type: 'string', default: root },
    static: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
})
const context = resolve(values.context)
const dockerfile = resolve(values.dockerfile ?? join(context, 'Dockerfile'))
const results = []
const report = (r) => {
  results.push(r)
  const [first, ...more] = r.detail.split('\n')
  console.log(
    `${r.ok ? 'ok  ' : 'FAIL'} ${r.id}: ${first}${more.map((l) => `\n       ${l}`).join('')}`,
  )
}

const { stages } = parseDockerfile(readFileSync(dockerfile, 'utf8'))
const { ignored } = loadDockerignore(context)
const lock = JSON.parse(readFileSync(join(context, 'package-lock.json'), 'utf8'))
console.log(
  `${dockerfile}: ${stages.map((s) => `${s.name ?? `#${s.index}`} (${s.image})`).join(', ')}`,
)
for (const r of staticChecks({ stages, context, ignored, lock })) report(r)

if (!values.static) {
  mkdirSync(join(context, '.tmp'), { recursive: true })
  // Inside the checkout, not /tmp: hard links need the same file system as ./node_modules.
  const tmp = mkdtempSync(join(context, '.tmp', 'check-dockerfile-'))
  const nodedir = values.full ? hostNodedir() : undefined
  const ctx = {
    context,
    stages,
    ignored,
    full: values.full,
    replayed: new Map(),
    log: (s) => console.log(s),
    env: { ...process.env, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) },
  }
  const started = Date.now()
  try {
    for (const stage of stages) {
      console.log(
        `stage ${stage.name ?? `#${stage.index}`} (${stage.image}) ${values.full ? 'full' : 'fast'} replay:`,
      )
      const dir = join(tmp, `stage-${stage.index}`)
      ctx.replayed.set(stage.index, replayStage(ctx, stage, dir))
    }
    report({
      id: 'replay',
      ok: true,
      detail: `every stage replays (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    })
    const image = ctx.replayed.get(stages.length - 1)
    for (const need of ['bin/omnigate.js', ...RUNTIME_NEEDS]) {
      const ok = existsSync(join(image.dir, need))
      report({
        id: 'image-files',
        ok,
        detail: `${image.workdir}/${need} ${ok ? 'is in the image' : 'is missing from the image'}`,
      })
    }
    const dev = devPackages(lock).filter((p) => existsSync(join(image.dir, p)))
    report({
      id: 'production-only',
      ok: dev.length === 0,
      detail: dev.length
        ? `dev dependencies in the image: ${dev.slice(0, 5).join(', ')}…`
        : 'no dev dependency in the image',
    })
    for (const r of await bootImage({
      stage: stages.at(-1),
      dir: image.dir,
      workdir: image.workdir,
      log: ctx.log,
    }))
      report(r)
  } catch (e) {
    report({ id: 'replay', ok: false, detail: e instanceof Error ? e.message : String(e) })
  } finally {
    if (values.keep) console.log(`kept ${tmp}`)
    else rmSync(tmp, { recursive: true, force: true })
  }
}

const failed = results.filter((r) => !r.ok)
console.log(
  failed.length
    ? `${failed.length} of ${results.length} checks failed`
    : `all ${results.length} checks passed`,
)
process.exitCode = failed.length ? 1 : 0
