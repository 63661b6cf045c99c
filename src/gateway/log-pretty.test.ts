import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { chooseLogFormat, createLogger } from './log.js'
import { formatLogLine } from './log-pretty.js'

const line = (o: Record<string, unknown>) =>
  JSON.stringify({ level: 30, time: '2026-12-04T18:59:48.233Z', app: 'omnigate', ...o })

/** Everything a logger writes, as text. */
function capture(): { out: Writable; text: () => string } {
  const chunks: string[] = []
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'))
      done()
    },
  })
  return { out, text: () => chunks.join('') }
}

describe('formatLogLine', () => {
  it('puts time, level, component:channel and the message first, then the other fields', () => {
    const text = formatLogLine(
      line({
        level: 40,
        component: 'channel',
        channel: 'sms',
        channel_type: 'webhook',
        detail: 'environment variable SMS_RELAY_URL is not set',
        msg: 'channel disabled',
      }),
    )
    expect(text).toBe(
      '18:59:48.233 WARN  channel:sms    channel disabled  channel_type=webhook ' +
        'detail="environment variable SMS_RELAY_URL is not set"',
    )
  })

  it('shows objects as JSON and an error message, with its stack at level error', () => {
    const text = formatLogLine(
      line({
        level: 50,
        component: 'outbox',
        job: { id: 7 },
        err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x (a.js:1:1)' },
        msg: 'send failed',
      }),
    )
    expect(text.split('\n')).toEqual([
      '18:59:48.233 ERROR outbox         send failed  job={"id":7} err=boom',
      '    Error: boom',
      '        at x (a.js:1:1)',
    ])
  })

  it('leaves a line that is not a JSON object as it is', () => {
    expect(formatLogLine('not json\n')).toBe('not json')
    expect(formatLogLine('[1,2]')).toBe('[1,2]')
  })

  it('colours the level only when asked', () => {
    expect(formatLogLine(line({ level: 50, msg: 'x' }), { colour: true })).toContain(
      '\u001b[31mERROR\u001b[0m',
    )
    expect(formatLogLine(line({ level: 50, msg: 'x' }))).not.toContain('\u001b[')
  })
})

describe('createLogger', () => {
  it('pretty: one readable line a log, secrets still redacted', () => {
    const { out, text } = capture()
    const log = createLogger({ format: 'pretty', destination: out, level: 'info' })
    log.child({ component: 'channel', channel: 'tg' }).warn({ token: '123:secret' }, 'refused')
    expect(text()).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}channel:tg {5}refused {2}token=\[redacted\]\n$/,
    )
    expect(text()).not.toContain('123:secret')
  })

  it('json: pino lines', () => {
    const { out, text } = capture()
    createLogger({ destination: out, level: 'info' }).info({ component: 'daemon' }, 'hi')
    expect(JSON.parse(text())).toMatchObject({ level: 30, component: 'daemon', msg: 'hi' })
  })
})

describe('chooseLogFormat', () => {
  it('takes the flag, else OMNIGATE_LOG_FORMAT, else pretty on a terminal only', () => {
    expect(chooseLogFormat('json', { OMNIGATE_LOG_FORMAT: 'pretty' }, true)).toBe('json')
    expect(chooseLogFormat(undefined, { OMNIGATE_LOG_FORMAT: 'pretty' }, false)).toBe('pretty')
    expect(chooseLogFormat(undefined, { OMNIGATE_LOG_FORMAT: '' }, true)).toBe('pretty')
    expect(chooseLogFormat(undefined, {}, true)).toBe('pretty')
    expect(chooseLogFormat(undefined, {}, false)).toBe('json')
  })

  it('refuses any other value, naming where it came from', () => {
    expect(() => chooseLogFormat('text', {}, true)).toThrow(/--log-format must be json or pretty/)
    expect(() => chooseLogFormat(undefined, { OMNIGATE_LOG_FORMAT: 'xml' }, true)).toThrow(
      /OMNIGATE_LOG_FORMAT must be json or pretty \(got "xml"\)/,
    )
  })
})
