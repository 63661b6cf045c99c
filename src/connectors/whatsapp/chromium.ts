/**
 * Finds the Chromium the WhatsApp Web connector drives. The repo never downloads a browser
 * (puppeteer is replaced by puppeteer-core), so it is the system's: `chromium_path` when set, else
 * the first of the usual names on PATH.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Names distributions install Chromium/Chrome under, in order of preference. */
const CHROMIUM_NAMES: readonly string[] = [
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google-chrome-stable',
]

export type ChromiumLookup = { path: string } | { error: string }

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * `configured` (the `chromium_path` option) wins and must be an executable file; otherwise PATH is
 * searched. The error sentence names the option, so a person knows what to set.
 */
export function findChromium(
  configured: string | undefined,
  pathEnv: string | undefined,
): ChromiumLookup {
  if (configured !== undefined && configured !== '') {
    if (isExecutableFile(configured)) return { path: configured }
    return {
      error: `chromium_path: ${configured} is not an executable file; install Chromium (Debian: apt-get install chromium) or fix chromium_path`,
    }
  }
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (dir === '') continue
    for (const name of CHROMIUM_NAMES) {
      const candidate = join(dir, name)
      if (isExecutableFile(candidate)) return { path: candidate }
    }
  }
  return {
    error: `no Chromium found on PATH (looked for ${CHROMIUM_NAMES.join(', ')}); install it (Debian: apt-get install chromium) or set chromium_path`,
  }
}
