/**
 * Regression: the first `docker build` of a new user failed with ENOENT — `npm ci` ran `prepare`
 * (tsc, then scripts/gen-schema.mjs writing config/gateway.schema.json) before config/ was copied.
 * A build stage without `COPY config` must fail the replay at the build step, as docker would.
 * Its own file so it runs beside dockerfile.test.ts (each replay compiles the tree once).
 */
import { expect, it } from 'vitest'
import { dockerfileWith, lines, runCheck } from './run-check.js'

it('a build stage that does not copy config/ fails at npm run build with ENOENT', async () => {
  const r = await runCheck([], dockerfileWith('COPY config ./config\n', ''))
  expect(r.code).toBe(1)
  const failed = lines(r.out, 'replay').join('\n')
  expect(failed).toMatch(/^FAIL replay: line \d+: RUN npm run build: /)
  expect(r.out).toMatch(/ENOENT[^\n]*config\/gateway\.schema\.json/)
}, 300_000)
