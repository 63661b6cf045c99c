/**
 * The `omnigate` command line: serve | check-config | keys new | keys vapid | migrate | backup FILE |
 * copy.
 * A bad flag or a missing argument is a clear message and exit code 2; a bad config exit code 1.
 */
import { createHash, randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { checkConfig, loadConfig } from './gateway/config/load.js'
import { ConfigError } from './gateway/config/types.js'
import { handleSignals, startDaemon } from './gateway/daemon.js'
import { chooseLogFormat, createLogger } from './gateway/log.js'
import { daemonSummary, renderStartSummary } from './gateway/start-summary.js'
import { migratePostgresStore, migrateStore, openStore } from './store/index.js'
import { storeLabel } from './gateway/config/store-label.js'
import { releaseYoungGenerationUnderLoad } from './gateway/young-generation.js'

class UsageError extends Error {}

const CONFIG_HELP =
  '  --config FILE   config file (default: $OMNIGATE_CONFIG, then ./gateway.config.yaml)'

const HELP: Record<string, string> = {
  main: `omnigate — self-hosted omnichannel messaging gateway

Usage: omnigate <command> [options]

Commands:
  serve          run the daemon
  check-config   validate the config file and show every problem at once
  keys new       make a new API key and the config line holding its sha256
  keys vapid     make a VAPID key pair for a webpush channel
  migrate        apply database migrations
  backup FILE    write an online copy of the database to FILE
  copy           copy a SQLite deployment into PostgreSQL (--from FILE.db --to URL)

Run 'omnigate <command> --help' for a command's options.`,
  serve: `Usage: omnigate serve [--config FILE] [--listen HOST:PORT] [--data DIR] [--log-format F]

Runs the gateway. SIGHUP re-reads the config; SIGTERM stops gracefully.
${CONFIG_HELP}
  --listen HOST:PORT  overrides server.listen
  --data DIR      data folder (database, blobs, sessions); overrides the folder of store.sqlite
  --log-format json|pretty
                  json: one JSON object a line; pretty: a start summary (listen address, data,
                  channels, API keys) then one readable line a log. Default: $OMNIGATE_LOG_FORMAT,
                  else pretty when stdout is a terminal and json otherwise`,
  'check-config': `Usage: omnigate check-config [--config FILE] [--strict]

Validates the file; prints every error with file:line:column and the key path (exit 1),
or "ok" with warnings such as channels disabled for a missing variable (exit 0).
${CONFIG_HELP}
  --strict        also fail (exit 1) when a channel is disabled, listing each (for CI)`,
  'keys new': `Usage: omnigate keys new [--id ID] [--role admin|agent|app]

Prints a fresh API key (give it to the caller) and the line for auth.keys in the config,
which holds only its sha256.`,
  'keys vapid': `Usage: omnigate keys vapid

Prints a VAPID key pair (base64url) for channels.<name>.vapid of a webpush channel.`,
  migrate: `Usage: omnigate migrate [--config FILE] [--data DIR]

Applies pending database migrations (serve does this too at start).
${CONFIG_HELP}`,
  backup: `Usage: omnigate backup FILE [--config FILE] [--data DIR]

Writes an online, consistent copy of the database to FILE while the daemon may be running.
Blobs live in <data>/blobs: copy that folder too for a whole backup.
${CONFIG_HELP}`,
  copy: `Usage: omnigate copy --from FILE.db --to postgres://USER:PASSWORD@HOST/DB [--blobs DIR]

Copies a SQLite deployment into PostgreSQL whole (stop the daemon first): every table, the blob
files, the contact search rebuilt. The target is migrated first and must be empty, or hold an
unfinished copy of the same file, which is resumed (run it again after a crash or Ctrl-C).
Prints the rows per table on each side.
  --from FILE     the SQLite file (store.sqlite)
  --to URL        the PostgreSQL URL (what store.postgres.url will say)
  --blobs DIR     the blob files (default: blobs/ beside FILE)`,
}

const common = {
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options']

function parse<O extends ParseArgsConfig['options']>(args: string[], options: O, positionals = 0) {
  try {
    const r = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true })
    if (r.positionals.length > positionals)
      throw new UsageError(`unexpected argument: ${r.positionals[positionals] ?? ''}`)
    return r
  } catch (e) {
    if (e instanceof UsageError) throw e
    throw new UsageError((e as Error).message)
  }
}

/** Runs `f`; its error becomes a usage error (exit 2). */
function usage<T>(f: () => T): T {
  try {
    return f()
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
}

/** How this process was started, for the start summary's "set X and start again" hint. */
function startedAs(argv: string[]): string {
  if (process.env.npm_lifecycle_event === 'start') return 'npm start'
  return ['omnigate', ...argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`))].join(' ')
}

function configPath(flag: string | undefined): string {
  return resolve(flag ?? process.env.OMNIGATE_CONFIG ?? 'gateway.config.yaml')
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  const out = (s: string): void => void process.stdout.write(`${s}\n`)
  try {
    switch (cmd) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        out(HELP.main ?? '')
        return cmd === undefined ? 2 : 0
      case 'serve': {
        const { values } = parse(rest, {
          ...common,
          listen: { type: 'string' },
          data: { type: 'string' },
          'log-format': { type: 'string' },
        })
        if (values.help) return (out(HELP.serve ?? ''), 0)
        const format = usage(() =>
          chooseLogFormat(values['log-format'], process.env, process.stdout.isTTY === true),
        )
        const log = createLogger({ format })
        const starting = startDaemon({
          configFile: configPath(values.config),
          log,
          ...(values.data ? { dataDir: values.data } : {}),
          ...(values.listen ? { listen: values.listen } : {}),
        })
        // Signals are handled from the start, not once it serves: see handleSignals.
        const stopped = handleSignals(starting, log)
        const d = await starting
        // Held small through start-up by bin/omnigate.js; grows again with load.
        const stopWatching = releaseYoungGenerationUnderLoad(() =>
          log.debug('under load: the young generation grows again'),
        )
        if (format === 'pretty')
          out(`\n${renderStartSummary(await daemonSummary(d, startedAs(argv)))}`)
        await stopped
        stopWatching()
        return 0
      }
      case 'check-config': {
        const { values } = parse(rest, { ...common, strict: { type: 'boolean' } })
        if (values.help) return (out(HELP['check-config'] ?? ''), 0)
        const r = checkConfig(configPath(values.config), process.env, { strict: values.strict })
        out(r.text)
        return r.ok ? 0 : 1
      }
      case 'keys': {
        const [sub, ...more] = rest
        if (sub === 'new') {
          const { values } = parse(more, {
            help: common.help,
            id: { type: 'string' },
            role: { type: 'string' },
          })
          if (values.help) return (out(HELP['keys new'] ?? ''), 0)
          const role = values.role ?? 'agent'
          if (!['admin', 'agent', 'app'].includes(role))
            throw new UsageError(`--role must be admin, agent or app (got ${role})`)
          const id = values.id ?? `key-${randomBytes(3).toString('hex')}`
          if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id))
            throw new UsageError('--id: letters, digits, _ . - (at most 64)')
          const key = `og_${randomBytes(32).toString('base64url')}`
          const sha = createHash('sha256').update(key).digest('hex')
          out(`key: ${key}`)
          out('Give the key to its user; it is not stored anywhere. Add this line under auth.keys:')
          out(`    - { id: ${id}, role: ${role}, sha256: "${sha}" }`)
          return 0
        }
        if (sub === 'vapid') {
          const { values } = parse(more, { help: common.help })
          if (values.help) return (out(HELP['keys vapid'] ?? ''), 0)
          const webpush = (await import('web-push')).default
          const k = webpush.generateVAPIDKeys()
          out(
            `vapid:\n  public_key: ${k.publicKey}\n  private_key: ${k.privateKey}\n  subject: mailto:ops@example.com`,
          )
          return 0
        }
        throw new UsageError(`unknown keys command: ${sub ?? '(none)'} (try: keys new, keys vapid)`)
      }
      case 'migrate': {
        const { values } = parse(rest, { ...common, data: { type: 'string' } })
        if (values.help) return (out(HELP.migrate ?? ''), 0)
        const cfg = loadConfig(configPath(values.config), {
          env: process.env,
          ...(values.data ? { dataDir: values.data } : {}),
        })
        const pg = cfg.store.postgres
        const r = pg ? await migratePostgresStore(pg) : migrateStore(cfg.store.sqlite)
        out(
          r.from === r.to
            ? `database is up to date (version ${r.to})`
            : `migrated ${storeLabel(cfg.store)} from version ${r.from} to ${r.to}`,
        )
        return 0
      }
      case 'backup': {
        const { values, positionals } = parse(rest, { ...common, data: { type: 'string' } }, 1)
        if (values.help) return (out(HELP.backup ?? ''), 0)
        const file = positionals[0]
        if (!file) throw new UsageError('backup needs a FILE to write to')
        const cfg = loadConfig(configPath(values.config), {
          env: process.env,
          ...(values.data ? { dataDir: values.data } : {}),
        })
        if (cfg.store.postgres)
          throw new UsageError('backup copies a SQLite file; with store.postgres use pg_dump')
        const store = await openStore({ file: cfg.store.sqlite, dataDir: cfg.store.data_dir })
        try {
          await store.backup(resolve(file))
        } finally {
          await store.close()
        }
        out(`backed up ${cfg.store.sqlite} to ${resolve(file)}`)
        return 0
      }
      case 'copy': {
        const { values } = parse(rest, {
          help: common.help,
          from: { type: 'string' },
          to: { type: 'string' },
          blobs: { type: 'string' },
        })
        if (values.help) return (out(HELP.copy ?? ''), 0)
        if (!values.from || !values.to)
          throw new UsageError('copy needs --from FILE.db and --to URL')
        const from = resolve(values.from)
        // `pg` loads for the commands that use it, not for every start.
        const { copySqliteToPostgres, formatCopyReport } = await import('./store/copy/index.js')
        const report = await copySqliteToPostgres({
          from,
          to: values.to,
          ...(values.blobs ? { blobsDir: resolve(values.blobs) } : {}),
        })
        out(formatCopyReport(report, from, values.to))
        return report.tables.every((t) => t.target >= t.source) ? 0 : 1
      }
      default:
        throw new UsageError(`unknown command: ${cmd}`)
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`omnigate: ${e.message}\nRun 'omnigate --help' for usage.\n`)
      return 2
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`omnigate: the config has errors:\n${e.message}\n`)
      return 1
    }
    process.stderr.write(`omnigate: ${(e as Error).message}\n`)
    return 1
  }
}
