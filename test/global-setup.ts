/**
 * Builds dist/ once before the suites that run the real daemon (`node bin/omnigate.js`), when it is
 * missing or older than a source file — a checkout edited since `npm ci`. One build here instead of
 * one per suite: two builds at once could let a daemon load a half-written file.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = new URL('../', import.meta.url).pathname

function newestSource(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name)
    if (e.isDirectory()) newest = Math.max(newest, newestSource(path))
    else if (!e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}

export default function setup(): void {
  const main = join(ROOT, 'dist/main.js')
  if (existsSync(main) && newestSource(join(ROOT, 'src')) <= statSync(main).mtimeMs) return
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' })
}
