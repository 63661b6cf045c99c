import { describe, expect, it } from 'vitest'
import { fromNetworkError, fromStatus, parseRetryAfter } from './send-error.js'

describe('push service answers', () => {
  it.each([
    [404, 'unreachable', 'subscription_gone'],
    [410, 'unreachable', 'subscription_gone'],
    [429, 'retry', 'push_rate_limited'],
    [500, 'retry', 'push_unavailable'],
    [502, 'retry', 'push_unavailable'],
    [400, 'rejected', 'push_rejected'],
    [401, 'rejected', 'vapid_rejected'],
    [403, 'rejected', 'vapid_rejected'],
    [413, 'rejected', 'text_too_long'],
    [422, 'rejected', 'push_rejected'],
  ])('%i → %s %s', (status, kind, code) => {
    expect(fromStatus(status, undefined, '')).toMatchObject({ kind, code })
  })

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-03-01T12:00:00Z')
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter('Sat, 01 Mar 2025 12:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Sat, 01 Mar 2025 11:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter(['5', '9'], now)).toBe(5_000)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
  })

  it('tells a request that never left from one whose answer was lost', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), {
      name: 'TimeoutError',
      code: 23,
    })
    expect(fromNetworkError(refused)).toMatchObject({ kind: 'retry', possiblyDelivered: false })
    expect(fromNetworkError(new Error('fetch failed', { cause: refused }))).toMatchObject({
      possiblyDelivered: false,
    })
    expect(fromNetworkError(reset)).toMatchObject({ kind: 'retry', possiblyDelivered: true })
    expect(fromNetworkError(timeout)).toMatchObject({ kind: 'retry', possiblyDelivered: true })
  })
})
