import { describe, expect, it } from 'vitest'
import { SendError } from '../../connectors/types.js'
import { decideFailure, toSendError, type FailureContext } from './send-failure.js'

const ctx = (over: Partial<FailureContext> = {}): FailureContext => ({
  attempt: 1,
  maxAttempts: 5,
  backoff: { baseMs: 1000, maxMs: 60_000 },
  idempotent: false,
  stopping: false,
  ...over,
})
const timeout = (): SendError =>
  new SendError('retry', 'timeout', 'timed out', { possiblyDelivered: true })

describe('decideFailure', () => {
  it.each([
    // [case, error, context, expected decision (partial)]
    [
      'a 5xx backs off',
      new SendError('retry', 'http_503', 'x'),
      ctx(),
      { kind: 'retry', retryAfter: false, possibleDuplicate: false },
    ],
    [
      'a 429 waits its Retry-After',
      new SendError('retry', 'rate_limited', 'x', { retryAfterMs: 7000 }),
      ctx(),
      { kind: 'retry', delayMs: 7000, retryAfter: true },
    ],
    ['a timeout may duplicate', timeout(), ctx(), { kind: 'retry', possibleDuplicate: true }],
    [
      'not where the platform dedupes by our key',
      timeout(),
      ctx({ idempotent: true }),
      { kind: 'retry', possibleDuplicate: false },
    ],
    [
      'the last attempt gives up',
      new SendError('retry', 'http_503', 'down'),
      ctx({ attempt: 5 }),
      {
        kind: 'fail',
        unreachable: false,
        error: { code: 'http_503', message: 'gave up after 5 attempts: down' },
      },
    ],
    [
      'our stop releases uncounted',
      new SendError('retry', 'shutdown', 'x'),
      ctx({ stopping: true }),
      { kind: 'release' },
    ],
    [
      'a shutdown code while running is a retry',
      new SendError('retry', 'shutdown', 'x'),
      ctx(),
      { kind: 'retry' },
    ],
    [
      'unreachable fails and marks',
      new SendError('unreachable', 'blocked', 'x'),
      ctx(),
      { kind: 'fail', unreachable: true, error: { code: 'blocked', message: 'x' } },
    ],
    [
      'rejected fails',
      new SendError('rejected', 'bad_request', 'x'),
      ctx({ attempt: 1 }),
      { kind: 'fail', unreachable: false },
    ],
  ] as const)('%s', (_name, e, c, expected) => {
    expect(decideFailure(e, c, () => 1)).toMatchObject(expected)
  })

  it('backs off exponentially within the cap', () => {
    const e = new SendError('retry', 'http_503', 'x')
    const delays = [1, 2, 3, 4].map((attempt) => {
      const d = decideFailure(e, ctx({ attempt, maxAttempts: 10 }), () => 1)
      return d.kind === 'retry' ? d.delayMs : -1
    })
    expect(delays[1]).toBeGreaterThan(delays[0]!)
    expect(delays[3]).toBeGreaterThan(delays[2]!)
    expect(Math.max(...delays)).toBeLessThanOrEqual(60_000)
  })
})

describe('toSendError', () => {
  const live = new AbortController().signal
  it('keeps a connector’s SendError', () => {
    const e = new SendError('rejected', 'bad_request', 'x')
    expect(toSendError(e, live, live)).toBe(e)
  })
  it('an abort by our stop is a possibly delivered shutdown', () => {
    const stop = AbortSignal.abort()
    expect(toSendError(new Error('aborted'), stop, stop)).toMatchObject({
      kind: 'retry',
      code: 'shutdown',
      possiblyDelivered: true,
    })
  })
  it('an abort by the deadline is a possibly delivered timeout', () => {
    expect(toSendError(new Error('aborted'), AbortSignal.abort(), live)).toMatchObject({
      kind: 'retry',
      code: 'timeout',
      possiblyDelivered: true,
    })
  })
  it('anything else is a connector error, retried', () => {
    expect(toSendError(new TypeError('boom'), live, live)).toMatchObject({
      kind: 'retry',
      code: 'connector_error',
      possiblyDelivered: false,
    })
  })
})
