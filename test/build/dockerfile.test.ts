/**
 * The Dockerfile, checked without a Docker engine (none runs in CI): scripts/check-dockerfile.mjs
 * reads what the image must be, replays every stage in a temp folder — exactly the files each
 * COPY names, in order, then the npm/node RUN steps (`npm run build` for real) — and boots the
 * result as the container would, with its HEALTHCHECK and a SIGTERM. The variants below show each
 * check failing on the mistake it is there for.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { type CheckResult, dockerfileWith, lines, runCheck } from './run-check.js'

// The replay compiles the whole tree with tsc (≈ 15 s on an idle 2-core machine); a busy CI
// machine running the other suites at the same time can take several times that.
const REPLAY_TIMEOUT_MS = 300_000

let good: CheckResult
beforeAll(async () => {
  good = await runCheck(['--static'])
})

describe('the Dockerfile', () => {
  it(
    'replays: the build stage builds from only what it copies, and the image serves and passes its HEALTHCHECK',
    async () => {
      const r = await runCheck([])
      expect(r.out).toMatch(/RUN npm run build\n/)
      for (const id of [
        'replay',
        'image-files',
        'production-only',
        'boot',
        'healthcheck-runs',
        'sigterm',
        'healthcheck-fails',
      ])
        expect(lines(r.out, id).join('\n'), r.out).toMatch(/^ok {3}/)
      expect(r.out).not.toMatch(/^FAIL/m)
      expect(r.code).toBe(0)
    },
    REPLAY_TIMEOUT_MS,
  )

  it(
    'fails the replay when a COPY the build needs is missing',
    async () => {
      const r = await runCheck([], dockerfileWith('COPY src ./src\n', ''))
      expect(r.code).toBe(1)
      expect(lines(r.out, 'replay').join('\n')).toMatch(
        /^FAIL replay: line \d+: RUN npm run build: /,
      )
    },
    REPLAY_TIMEOUT_MS,
  )

  it.each([
    ['node-24', 'ARG NODE_IMAGE=node:24-bookworm-slim', 'ARG NODE_IMAGE=node:22-bookworm-slim'],
    ['user', 'USER node\n', ''],
    [
      'healthcheck',
      "fetch('http://127.0.0.1:8080/healthz')",
      "fetch('http://127.0.0.1:3000/healthz')",
    ],
    ['serve', '"--listen", "0.0.0.0:8080"', '"--listen", "127.0.0.1:8080"'],
    ['expose', 'EXPOSE 8080', 'EXPOSE 80'],
    ['volume', 'VOLUME /data\n', ''],
    ['volume-owner', ' && chown node:node /data', ''],
    ['init', '["tini", "-s", "--", "node", "bin/omnigate.js"]', '["node", "bin/omnigate.js"]'],
    ['chromium', 'chromium tini', 'tini'],
    ['runtime-files', 'COPY bin ./bin\n', ''],
    ['runtime-files', 'COPY package.json gateway.config.yaml ./', 'COPY gateway.config.yaml ./'],
    ['install-scripts', ' && npm rebuild better-sqlite3', ''],
    ['same-base', 'FROM ${NODE_IMAGE} AS build', 'FROM node:24-trixie-slim AS build'],
  ])('fails the %s check on a Dockerfile that breaks it', async (id, from, to) => {
    expect(lines(good.out, id).join('\n')).toMatch(/^ok {3}/)
    const bad = await runCheck(['--static'], dockerfileWith(from, to))
    expect(bad.code).toBe(1)
    expect(lines(bad.out, id).some((l) => l.startsWith('FAIL'))).toBe(true)
  })
})
