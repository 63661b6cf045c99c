/**
 * Global setup of `npm run test:reliability`: builds dist/ when it is missing or older than src/
 * (the crash and security suites run the real `node bin/omnigate.js serve`), makes the folder all
 * suites log into, and at the end greps every log written during the suites for every secret any
 * suite configured. A teardown cannot fail a test, so a finding sets the exit code (and is
 * printed, masked); each suite also checks its own logs in a test of its own.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { findSecretsInLogs } from './helpers/logs.js'

const ROOT = new URL('../../', import.meta.url).pathname

function newest(dir: string): number {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

export default function setup(project: TestProject): () => void {
  const main = join(ROOT, 'dist/main.js')
  if (!existsSync(main) || newest(join(ROOT, 'src')) > statSync(main).mtimeMs)
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' })
  const dir = mkdtempSync(join(tmpdir(), 'omnigate-reliability-logs-'))
  project.provide('reliabilityLogDir', dir)
  return () => {
    const found = findSecretsInLogs(dir)
    if (found.length === 0) {
      // RELIABILITY_KEEP_LOGS=1 keeps them to read.
      if (process.env.RELIABILITY_KEEP_LOGS) process.stderr.write(`\nlogs kept in ${dir}\n`)
      else rmSync(dir, { recursive: true, force: true })
      return
    }
    process.stderr.write(
      `\nSECRETS IN LOGS (kept in ${dir}):\n` +
        found.map((f) => `  ${f.file}:${f.line}: ${f.secret}`).join('\n') +
        '\n',
    )
    process.exitCode = 1
  }
}
