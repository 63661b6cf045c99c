/**
 * Structured logs (pino). Every component logs through a child with a `component` field. Keys that
 * can hold a secret are redacted wherever they appear, so a careless `log.info({ settings })` still
 * leaks nothing.
 */
import { pino, type Logger } from 'pino'

export type { Logger }

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

export function createLogger(
  opts: { level?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const level = opts.level ?? process.env.OMNIGATE_LOG_LEVEL ?? 'info'
  const options = {
    level,
    base: { app: 'omnigate' },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  return opts.destination ? pino(options, opts.destination) : pino(options)
}
