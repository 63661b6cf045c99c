/**
 * Loads `gateway.config.yaml`: YAML with positions, `${VAR}` substitution, validation, defaults,
 * a deep-frozen ResolvedConfig. Every problem is reported at once as a ConfigError whose issues
 * carry file:line:column and the key path. `checkConfig` is the `omnigate check-config` text.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { substituteEnv } from './env.js'
import { deepFreeze } from './freeze.js'
import type { Finding } from './messages.js'
import { resolveConfig, warningsBesideChannels } from './resolve.js'
import { splitHostPort } from './schema-parts.js'
import { storeLabel } from './store-label.js'
import { formatPath, locate, parseSource, type SourceFile } from './source.js'
import { ConfigError, type ChannelConfig, type ConfigIssue, type ResolvedConfig } from './types.js'
import { validate } from './validate.js'

export interface LoadOptions {
  /** Variables for `${VAR}` (default: process.env). */
  env?: NodeJS.ProcessEnv
  /** `--data DIR`: the folder of `store.sqlite` (its file name is kept). */
  dataDir?: string
  /** `--listen HOST:PORT`: replaces `server.listen`. */
  listen?: string
}

// YAML aliases can multiply a small file into a huge tree ("billion laughs"); real configs use few.
const MAX_ALIAS_COUNT = 100

function fileIssue(file: string, message: string): ConfigError {
  return new ConfigError([{ file, line: 1, col: 1, path: '(file)', message }])
}

function toIssues(source: SourceFile, findings: readonly Finding[]): ConfigIssue[] {
  return findings
    .map((f) => ({
      file: source.file,
      ...locate(source, f.path, f.anchor),
      path: formatPath(f.path),
      message: f.message,
    }))
    .sort((a, b) => a.line - b.line || a.col - b.col)
}

/**
 * Reads, validates and resolves the config file. Relative paths resolve against process.cwd().
 * @throws ConfigError listing every problem (file:line:col, key path, sentence); nothing secret.
 */
export function loadConfig(file: string, opts: LoadOptions = {}): ResolvedConfig {
  const path = resolve(file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw fileIssue(path, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const { source, issues, warnings } = parseSource(path, text)
  if (issues.length > 0) throw new ConfigError(issues)
  if (source.doc.contents === null)
    throw fileIssue(path, 'the file is empty: expected a map of settings')
  let data: unknown
  try {
    data = source.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (e) {
    throw fileIssue(path, `YAML: ${(e as Error).message}`)
  }
  const substituted = substituteEnv(data, opts.env ?? process.env)
  const validated = validate(substituted)
  const findings = validated.ok ? [] : validated.findings
  const listen = opts.listen !== undefined ? splitHostPort(opts.listen) : undefined
  if (listen === null) {
    findings.push({
      path: ['server', 'listen'],
      anchor: 'value',
      message: `--listen ${JSON.stringify(opts.listen)} is not host:port`,
    })
  }
  if (!validated.ok || findings.length > 0) throw new ConfigError(toIssues(source, findings))
  const config = resolveConfig(validated.value, {
    file: path,
    cwd: process.cwd(),
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
    ...(listen !== undefined && listen !== null ? { listen } : {}),
  })
  config.warnings.unshift(...warnings)
  return deepFreeze(config)
}

/**
 * `omnigate check-config`: every error, or `ok` with a summary and the warnings. With `strict`
 * (`--strict`, for CI) a disabled channel fails the check too, each listed with its reason.
 */
export function checkConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  opts: { strict?: boolean } = {},
): { ok: boolean; text: string } {
  let config: ResolvedConfig
  try {
    config = loadConfig(file, { env })
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e
    const n = e.issues.length
    return { ok: false, text: `${e.message}\n${n} error${n === 1 ? '' : 's'} in ${resolve(file)}` }
  }
  const disabled = Object.entries(config.channels).filter(([, c]) => !c.info.enabled)
  if (opts.strict !== true || disabled.length === 0) return { ok: true, text: summary(config) }
  const n = disabled.length
  // The disabled channels are listed once, below, rather than among the warnings too.
  const text = [
    summary(config, warningsBesideChannels(config)).replace(/^ok: /, 'valid, but --strict fails: '),
    `--strict: ${n} channel${n === 1 ? ' is' : 's are'} disabled:`,
    ...disabled.map(([name, c]) => `  - channels.${name}: ${c.info.disabledReason ?? 'disabled'}`),
  ].join('\n')
  return { ok: false, text }
}

// The reasons of disabled channels are in the warnings below the table.
const state = (c: ChannelConfig): string => (c.info.enabled ? 'enabled' : 'disabled')

function summary(config: ResolvedConfig, warnings = config.warnings): string {
  const channels = Object.values(config.channels)
  const enabled = channels.filter((c) => c.info.enabled).length
  const { host, port, public_url } = config.server
  const lines = [
    `ok: ${config.file}`,
    `  listen ${host.includes(':') ? `[${host}]` : host}:${port}, public URL ${public_url}`,
    `  store ${storeLabel(config.store)}`,
    `  channels: ${channels.length} (${enabled} enabled, ${channels.length - enabled} disabled)`,
    ...channels.map((c) => `    ${c.info.name.padEnd(12)} ${c.info.type.padEnd(15)} ${state(c)}`),
    `  templates: ${Object.keys(config.templates).length}, app webhooks: ${config.webhooks.length}, ` +
      `API keys: ${config.auth.keys.length} active`,
  ]
  if (warnings.length > 0) lines.push('warnings:', ...warnings.map((w) => `  - ${w}`))
  return lines.join('\n')
}
