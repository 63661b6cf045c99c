/**
 * Runs scripts/check-dockerfile.mjs on the checkout, or on a variant of its Dockerfile (same build
 * context), and returns its exit code and report. Variants are made by exact replacement, so a
 * test notices when the Dockerfile no longer holds the line it breaks.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ROOT = new URL('../../', import.meta.url).pathname
const SCRIPT = join(ROOT, 'scripts/check-dockerfile.mjs')

/** The checkout's Dockerfile with `from` (which must occur exactly once) replaced by `to`. */
export function dockerfileWith(from: string, to: string): string {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  if (text.split(from).length !== 2)
    throw new Error(`the Dockerfile has no single ${JSON.stringify(from)}`)
  return text.replace(from, to)
}

export interface CheckResult {
  code: number
  out: string
}

/** `node scripts/check-dockerfile.mjs ...args`, on `dockerfile` text when given. */
export async function runCheck(args: string[], dockerfile?: string): Promise<CheckResult> {
  const dir = mkdtempSync(join(tmpdir(), 'omnigate-dockerfile-'))
  const extra: string[] = []
  if (dockerfile !== undefined) {
    writeFileSync(join(dir, 'Dockerfile'), dockerfile)
    extra.push('--dockerfile', join(dir, 'Dockerfile'))
  }
  try {
    return await new Promise((resolve) => {
      execFile(
        process.execPath,
        [SCRIPT, ...args, ...extra],
        { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
          resolve({ code, out: `${stdout}${stderr}` })
        },
      )
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The report's lines for one check id, e.g. `FAIL user: runtime runs as USER (root)`. */
export function lines(out: string, id: string): string[] {
  return out.split('\n').filter((l) => new RegExp(`^(ok  |FAIL) ${id}:`).test(l))
}
