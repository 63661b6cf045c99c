/**
 * Builds dist/ when it is missing or older than any file under src/ (what `npm run build` makes),
 * so the bench always measures the code in the checkout.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './paths.mjs'

function newestMtime(dir) {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    const t = e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs
    if (t > newest) newest = t
  }
  return newest
}

export function ensureBuilt() {
  const main = join(ROOT, 'dist/main.js')
  const stale = !existsSync(main) || newestMtime(join(ROOT, 'src')) > statSync(main).mtimeMs
  if (!stale) return
  process.stderr.write('dist/ is older than src/: npm run build\n')
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] })
}
