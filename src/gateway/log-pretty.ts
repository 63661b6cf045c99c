/**
 * The readable log form for a terminal: each pino JSON line becomes one line of
 * `time level component[:channel] message key=value …`. Written here rather than taken from
 * pino-pretty: it is one small pure function, and pino-pretty would bring a dozen packages and a
 * worker-thread transport for it. Redaction has already happened: the input is pino's own output.
 */

/** pino's numeric levels, as the words people read. */
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
}

// ANSI colours by level; dim for the time. Only used on a terminal that wants colour.
const COLOURS: Record<string, string> = {
  WARN: '33',
  ERROR: '31',
  FATAL: '31',
  DEBUG: '90',
  TRACE: '90',
}
const paint = (code: string | undefined, s: string, on: boolean): string =>
  on && code ? `\u001b[${code}m${s}\u001b[0m` : s

/** Keys shown in the line's head (or not at all), not among the `key=value` fields. */
const HEAD_KEYS = new Set(['level', 'time', 'msg', 'app', 'component', 'channel', 'hostname'])

/** The width the head's `component[:channel]` is padded to, so messages mostly line up. */
const SCOPE_WIDTH = 14

export interface PrettyOptions {
  /** ANSI colours (a terminal, and NO_COLOR not set). */
  colour?: boolean
}

function fieldValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)
  return JSON.stringify(v) ?? String(v)
}

interface ErrorFields {
  message?: unknown
  stack?: unknown
}

/**
 * One JSON log line in the readable form (without a newline). A line that is not a JSON object
 * comes back unchanged.
 * @internal exported for tests
 */
export function formatLogLine(json: string, opts: PrettyOptions = {}): string {
  let o: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(json)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return json.trim()
    o = parsed as Record<string, unknown>
  } catch {
    return json.trim()
  }
  const colour = opts.colour ?? false
  // `time` is pino's ISO UTC time; the clock part is enough on a terminal.
  const time = typeof o.time === 'string' ? o.time.slice(11, 23) : ''
  const level = LEVELS[Number(o.level)] ?? String(o.level)
  const component = typeof o.component === 'string' ? o.component : ''
  const scope = typeof o.channel === 'string' ? `${component}:${o.channel}` : component
  const fields: string[] = []
  let stack: string | null = null
  for (const [k, v] of Object.entries(o)) {
    if (HEAD_KEYS.has(k)) continue
    if (k === 'err' && typeof v === 'object' && v !== null) {
      const e = v as ErrorFields
      fields.push(`err=${fieldValue(e.message ?? v)}`)
      if (typeof e.stack === 'string' && Number(o.level) >= 50) stack = e.stack
      continue
    }
    fields.push(`${k}=${fieldValue(v)}`)
  }
  const head = [
    paint('2', time, colour),
    paint(COLOURS[level], level.padEnd(5), colour),
    scope.padEnd(SCOPE_WIDTH),
    typeof o.msg === 'string' ? o.msg : '',
  ].join(' ')
  const line = fields.length > 0 ? `${head}  ${paint('2', fields.join(' '), colour)}` : head
  return stack === null ? line : `${line}\n${stack.replace(/^/gm, '    ')}`
}

/**
 * A pino destination writing the readable form to `out` (usually process.stdout). pino hands it
 * one JSON line per `write`.
 */
export function prettyDestination(
  out: NodeJS.WritableStream,
  opts: PrettyOptions = {},
): { write(line: string): void } {
  return {
    write(line: string): void {
      out.write(`${formatLogLine(line, opts)}\n`)
    },
  }
}
