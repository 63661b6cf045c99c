/**
 * Redocly lint of the served document with the repository's redocly.yaml (recommended rules,
 * examples checked against their schemas): no error and no warning. A document with a broken
 * example must fail the same lint, so this test can fail. Offline: no telemetry, no update check.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from '../helpers/harness.js'

const ROOT = new URL('../../', import.meta.url).pathname

interface LintReport {
  code: number
  totals: { errors: number; warnings: number }
  problems: { ruleId: string; message: string; location: { pointer: string }[] }[]
}

let t: TestGateway
let dir: string

beforeAll(async () => {
  t = await startGateway('server:\n  public_url: https://omnigate.example.org/\n')
  dir = mkdtempSync(join(tmpdir(), 'omnigate-lint-'))
})
afterAll(async () => {
  await t?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function lint(doc: unknown, name: string): Promise<LintReport> {
  const file = join(dir, name)
  writeFileSync(file, JSON.stringify(doc, null, 2))
  const args = ['lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format=json']
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' }
  return new Promise((resolve, reject) => {
    execFile(join(ROOT, 'node_modules/.bin/redocly'), args, { env, cwd: dir }, (err, stdout) => {
      try {
        const out = JSON.parse(stdout) as Omit<LintReport, 'code'>
        resolve({ ...out, code: err ? Number(err.code ?? 1) : 0 })
      } catch {
        reject(err ?? new Error(`redocly printed no report: ${stdout.slice(0, 500)}`))
      }
    })
  })
}

describe('redocly lint of /v1/openapi.json', () => {
  it('finds no error and no warning; a broken example is an error', async () => {
    const doc = (await t.call('GET', '/v1/openapi.json', { key: null })).body
    const broken = structuredClone(doc)
    broken.components.schemas.Message.examples[0].status = 'lost'
    const [good, bad] = await Promise.all([lint(doc, 'openapi.json'), lint(broken, 'broken.json')])
    const said = good.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)
    expect(said).toEqual([])
    expect([good.code, good.totals]).toEqual([0, { errors: 0, warnings: 0, ignored: 0 }])
    expect(bad.code).not.toBe(0)
    expect(bad.problems.map((p) => p.ruleId)).toContain('no-invalid-schema-examples')
  })
})
