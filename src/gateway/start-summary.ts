/**
 * What `omnigate serve` prints on a terminal once it listens: where it listens, where its data
 * is, each channel with its state (and what a disabled one waits for), the active API keys by id
 * and role — never a key — and, when none is active, exactly how to make one. Rendering is a pure
 * function of a plain summary, so tests read the text without starting anything.
 */
import { storeLabel } from './config/store-label.js'
import type { ResolvedConfig } from './config/types.js'
import type { ChannelView } from './channels/registry.js'
import type { RunningDaemon } from './daemon.js'

export interface StartSummary {
  /** The address actually bound (the real port when 0 was asked for). */
  listen: { host: string; port: number }
  publicUrl: string
  configFile: string
  /** The SQLite file or the PostgreSQL URL (password masked), as `storeLabel` says it. */
  store: string
  dataDir: string
  channels: {
    name: string
    type: string
    state: string
    detail: string | null
    /** Unset variables that keep a disabled channel off. */
    missingVars: string[]
  }[]
  keys: { id: string; role: string }[]
  /** Keys in the file waiting for their variable. */
  inactiveKeys: { id: string; role: string; vars: string[] }[]
  /** How the daemon was started, for the "set X and run it again" hint (`npm start`). */
  command: string
}

/**
 * The summary of a running daemon's config and live channel states.
 * @internal exported for tests
 */
export function summarise(
  config: ResolvedConfig,
  channels: ChannelView[],
  bound: { port: number; command: string },
): StartSummary {
  return {
    listen: { host: config.server.host, port: bound.port },
    publicUrl: config.server.public_url,
    configFile: config.file,
    store: storeLabel(config.store),
    dataDir: config.store.data_dir,
    channels: channels.map((c) => ({
      name: c.name,
      type: c.type,
      state: c.state,
      detail: c.detail,
      missingVars: config.channels[c.name]?.missingVars ?? [],
    })),
    keys: config.auth.keys.map((k) => ({ id: k.id, role: k.role })),
    inactiveKeys: config.auth.inactive.map((k) => ({ id: k.id, role: k.role, vars: k.vars })),
    command: bound.command,
  }
}

/** How long the summary waits for channels to finish starting; a slower one shows `connecting`. */
const SETTLE_WAIT_MS = 2000

/** The summary of a started daemon, once its channels have started (or after SETTLE_WAIT_MS). */
export async function daemonSummary(d: RunningDaemon, command: string): Promise<StartSummary> {
  const svc = d.gateway.svc
  let timer: NodeJS.Timeout | undefined
  const wait = new Promise<void>((r) => {
    timer = setTimeout(r, SETTLE_WAIT_MS)
  })
  await Promise.race([svc.channels.settled(), wait])
  clearTimeout(timer)
  return summarise(svc.config(), svc.channels.list(), { port: d.port, command })
}

const table = (rows: string[][], indent: string): string[] => {
  const widths = rows.reduce<number[]>(
    (w, r) => r.map((cell, i) => Math.max(w[i] ?? 0, cell.length)),
    [],
  )
  return rows.map((r) =>
    `${indent}${r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ')}`.trimEnd(),
  )
}

function channelDetail(c: StartSummary['channels'][number]): string {
  if (c.state === 'disabled' && c.missingVars.length > 0) return `(set ${c.missingVars.join(', ')})`
  return c.detail ? `(${c.detail})` : ''
}

function keyLines(s: StartSummary): string[] {
  if (s.keys.length > 0) {
    const waiting = s.inactiveKeys.map(
      (k) => `${k.id} (${k.role}, waits for ${k.vars.join(', ') || 'a key'})`,
    )
    return [
      `  API keys   ${s.keys.map((k) => `${k.id} (${k.role})`).join(', ')}`,
      ...(waiting.length > 0 ? [`             not active: ${waiting.join(', ')}`] : []),
    ]
  }
  const lines = [
    '  API keys   none active: every /v1 call answers 401 until one is. To make one:',
    '               npx omnigate keys new --id you --role admin',
    `             add the line it prints under auth.keys in ${s.configFile}, and start again`,
  ]
  const withVar = s.inactiveKeys.find((k) => k.vars.length > 0)
  if (withVar !== undefined) {
    lines.push(
      `             or give key "${withVar.id}" (${withVar.role}) its variable and start again:`,
      `               ${withVar.vars[0] ?? ''}=… ${s.command}`,
    )
  }
  return lines
}

const hostPort = ({ host, port }: StartSummary['listen']): string =>
  `${host.includes(':') ? `[${host}]` : host}:${port}`

/** The summary as the lines a person reads, ending with a newline. */
export function renderStartSummary(s: StartSummary): string {
  const enabled = s.channels.filter((c) => c.state !== 'disabled').length
  const lines = [
    `omnigate is serving on http://${hostPort(s.listen)} (public URL ${s.publicUrl})`,
    `  config     ${s.configFile}`,
    `  store      ${s.store}`,
    `  data       ${s.dataDir}`,
    s.channels.length === 0
      ? '  channels   none configured'
      : `  channels   ${s.channels.length} (${enabled} on, ${s.channels.length - enabled} disabled)`,
    ...table(
      s.channels.map((c) => [c.name, c.type, c.state, channelDetail(c)]),
      '    ',
    ),
    ...keyLines(s),
  ]
  return `${lines.join('\n')}\n`
}
