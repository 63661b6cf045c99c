/**
 * Logs of the reliability suites and the secrets that must never be in them (DESIGN §9). Every
 * daemon and in-process gateway of these suites logs into one folder (made by global-setup.ts);
 * each suite registers the secrets of its configs there, and both the suite itself and the global
 * teardown grep every log written for every registered secret.
 */
import { appendFileSync, createWriteStream, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { inject } from 'vitest'
import { createLogger, type Logger } from '../../../src/gateway/log.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder every reliability suite writes its logs and secret lists into. */
    reliabilityLogDir: string
  }
}

export function logDir(): string {
  return inject('reliabilityLogDir')
}

/** Adds secrets (tokens, passwords, keys in any config of `suite`) to the list the grep uses. */
export function registerSecrets(suite: string, secrets: string[]): void {
  appendFileSync(join(logDir(), `${suite}.secrets`), secrets.map((s) => `${s}\n`).join(''))
}

/** The daemon's own logger (its redaction rules) writing to `<logDir>/<name>.log`. */
export function fileLogger(name: string, level = 'debug'): Logger {
  const stream = createWriteStream(join(logDir(), `${name}.log`), { flags: 'a' })
  return createLogger({ level, destination: stream })
}

export interface SecretFound {
  file: string
  /** The secret, masked (the test report is a log too). */
  secret: string
  line: number
}

/** A secret shortened for reports: enough to find it in the config, not enough to use it. */
function mask(secret: string): string {
  return `${secret.slice(0, 3)}…(${secret.length} chars)`
}

/** Every occurrence of any registered secret (or of `secrets`) in any `*.log` of `dir`. */
export function findSecretsInLogs(dir: string, secrets?: string[]): SecretFound[] {
  const files = readdirSync(dir)
  const list =
    secrets ??
    files
      .filter((f) => f.endsWith('.secrets'))
      .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
      .filter((s) => s.length > 0)
  const found: SecretFound[] = []
  for (const f of files.filter((x) => x.endsWith('.log'))) {
    const lines = readFileSync(join(dir, f), 'utf8').split('\n')
    lines.forEach((text, i) => {
      for (const s of list) {
        // URL-encoded too: a secret inside a logged URL is still a secret.
        if (text.includes(s) || text.includes(encodeURIComponent(s)))
          found.push({ file: f, secret: mask(s), line: i + 1 })
      }
    })
  }
  return found
}
