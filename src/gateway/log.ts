/**
 * Structured logs (pino). Every component logs through a child with a `component` field. Keys that
 * can hold a secret are redacted wherever they appear, so a careless `log.info({ settings })` still
 * leaks nothing.
 */
import { pino, type Logger } from 'pino'
import { prettyDestination } from './log-pretty.js'

export type { Logger }

/** `json`: one JSON object a line (for collectors); `pretty`: one readable line (a terminal). */
export type LogFormat = 'json' | 'pretty'

const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty']

/**
 * The log format: `--log-format`, else `$OMNIGATE_LOG_FORMAT`, else pretty on a terminal and JSON
 * otherwise (a pipe, a file, a container's log driver).
 * @throws Error naming the flag or variable when its value is neither json nor pretty.
 */
export function chooseLogFormat(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  isTTY: boolean,
): LogFormat {
  const pick = (value: string, from: string): LogFormat => {
    if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat
    throw new Error(`${from} must be json or pretty (got ${JSON.stringify(value)})`)
  }
  if (flag !== undefined) return pick(flag, '--log-format')
  const fromEnv = env.OMNIGATE_LOG_FORMAT
  if (fromEnv !== undefined && fromEnv !== '') return pick(fromEnv, 'OMNIGATE_LOG_FORMAT')
  return isTTY ? 'pretty' : 'json'
}

const REDACT = [
  'key',
  'token',
  'secret',
  'password',
  'authorization',
  'access_token',
  'channel_access_token',
  'channel_secret',
  'app_secret',
  'verify_token',
  'private_key',
  'webhook_secret',
].flatMap((k) => [k, `*.${k}`, `*.*.${k}`])

/**
 * The daemon's root logger: JSON lines to `destination` (default stdout), or with
 * `format: 'pretty'` the readable form (colour when the destination is a terminal and NO_COLOR is
 * not set). Redaction applies to both.
 */
export function createLogger(
  opts: { level?: string; destination?: NodeJS.WritableStream; format?: LogFormat } = {},
): Logger {
  const level = opts.level ?? process.env.OMNIGATE_LOG_LEVEL ?? 'info'
  const options = {
    level,
    base: { app: 'omnigate' },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  if (opts.format === 'pretty') {
    const out = opts.destination ?? process.stdout
    const colour = (out as { isTTY?: boolean }).isTTY === true && !process.env.NO_COLOR
    return pino(options, prettyDestination(out, { colour }))
  }
  return opts.destination ? pino(options, opts.destination) : pino(options)
}
